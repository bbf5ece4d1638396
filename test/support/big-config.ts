// Two configs whose drop-ins are all large and differ, for the atomicity test.
export function bigConfigYaml(variant: 'A' | 'B', apply: { confDir: string; stateDir: string; wwidsFile: string }): string {
  const lines: string[] = ['blacklist {'];
  for (let i = 0; i < 60_000; i++) lines.push(`  wwid "^${variant}${String(i).padStart(6, '0')}deadbeefdeadbeefdeadbeef"`);
  lines.push('}');
  const luns = Array.from({ length: 300 }, (_, i) => `    - { wwid: 3600${variant === 'A' ? 'a' : 'b'}${String(i).padStart(28, '0')}, alias: lun-${variant}-${i} }`);
  return [
    'node: pve1',
    `apply: ${JSON.stringify({ enabled: true, multipath: ['/bin/false'], ...apply })}`,
    'cluster:',
    '  nodes: [pve9]', // no LUN is expected on pve1: no multipath call
    `  defaults: { polling_interval: ${variant === 'A' ? 5 : 6} }`,
    '  luns:',
    ...luns,
    '  overrides: |',
    ...lines.map((l) => `    ${l}`),
    '',
  ].join('\n');
}
