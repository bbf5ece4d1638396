import { describe, expect, it } from 'vitest';
import { parseMultipathConf } from '../../../src/adopt/core/multipath-conf.js';
import { confDirOrder, mergeNodeFiles } from '../../../src/adopt/core/node-config.js';
import { parseBindings } from '../../../src/adopt/core/state-files.js';

function conf(text: string, file: string) {
  const r = parseMultipathConf(text, file);
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  return r.conf;
}
const values = (m: Map<string, { value: string }> | undefined) => Object.fromEntries([...(m ?? [])].map(([k, s]) => [k, s.value]));

describe('confDirOrder', () => {
  it('reads only *.conf, in byte order, as scandir/alphasort in the C locale', () => {
    expect(confDirOrder(['b.conf', 'README', 'A.conf', '10-x.conf', 'x.conf.bak', '9.conf', '.conf'])).toEqual(['10-x.conf', '9.conf', 'A.conf', 'b.conf']);
  });
});

describe('mergeNodeFiles (libmultipath/config.c merge rules)', () => {
  it('defaults: the last file read wins per keyword; checker is path_checker', () => {
    const { conf: c } = mergeNodeFiles([
      conf('defaults {\n\tpolling_interval 10\n\tchecker directio\n\tno_path_retry queue\n}\n', 'main'),
      conf('defaults {\n\tpolling_interval 5\n}\n', 'conf.d/50.conf'),
    ]);
    expect(values(c.defaults)).toEqual({ polling_interval: '5', path_checker: 'directio', no_path_retry: 'queue' });
    expect(c.defaults.get('polling_interval')).toMatchObject({ file: 'conf.d/50.conf', line: 2 });
  });

  it('devices with the same vendor/product/revision merge into the last one, later values win', () => {
    const { conf: c } = mergeNodeFiles([
      conf('devices {\n device {\n  vendor A\n  product B\n  prio alua\n  failback manual\n }\n device {\n  vendor C\n  product D\n }\n}\n', 'main'),
      conf('devices {\n device {\n  vendor A\n  product B\n  failback immediate\n }\n}\n', 'conf.d/x.conf'),
    ]);
    expect(c.devices.map(values)).toEqual([
      { vendor: 'C', product: 'D' },
      { vendor: 'A', product: 'B', prio: 'alua', failback: 'immediate' },
    ]);
  });

  it('multipaths merge by WWID (later wins), entries without wwid and devices without product are dropped and reported', () => {
    const { conf: c, warnings } = mergeNodeFiles([
      conf('multipaths {\n multipath {\n  wwid W1\n  alias one\n  no_path_retry 5\n }\n multipath {\n  alias orphan\n }\n}\ndevices {\n device {\n  vendor X\n }\n}\n', 'main'),
      conf('multipaths {\n multipath {\n  wwid W1\n  alias uno\n }\n}\n', 'conf.d/y.conf'),
    ]);
    expect(values(c.multipaths.get('W1'))).toEqual({ wwid: 'W1', alias: 'uno', no_path_retry: '5' });
    expect(warnings.map((w) => `${w.file}:${w.line}: ${w.message}`)).toEqual([
      'main:7: multipath section without "wwid"; multipath-tools drops it',
      'main:12: device section without vendor or product; multipath-tools drops it',
      'conf.d/y.conf:3: second multipath section for W1 (first: main line 3); multipath-tools merges them, the later values win',
    ]);
  });

  it('blacklist entries accumulate across files; unknown keywords do not reach the merged config', () => {
    const { conf: c } = mergeNodeFiles([
      conf('blacklist {\n devnode "^nvme"\n bogus 1\n device {\n  vendor HP\n  product "LOGICAL VOLUME"\n }\n}\n', 'main'),
      conf('blacklist {\n wwid "^3600508b1"\n}\n', 'conf.d/z.conf'),
    ]);
    expect(c.blacklist.map((i) => (i.keyword === 'device' ? values(i.settings) : `${i.keyword} ${i.value}`))).toEqual(['devnode ^nvme', { vendor: 'HP', product: 'LOGICAL VOLUME' }, 'wwid ^3600508b1']);
  });
});

describe('parseBindings', () => {
  it('first line per WWID wins, an alias bound twice keeps its first WWID, both reported', () => {
    const r = parseBindings('# header\nmpatha W1\nmpathb W2 # note\n\nmpatha W3\nmpathc W1\nbroken\n', 'n1/bindings');
    expect(r.bindings.map((b) => `${b.alias}=${b.wwid}@${b.line}`)).toEqual(['mpatha=W1@2', 'mpathb=W2@3']);
    expect(r.warnings.map((w) => w.line)).toEqual([5, 6, 7]);
  });
});
