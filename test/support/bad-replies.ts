// A deterministic corpus of bad `show maps json` replies, as bytes: mutations of the real 0.9.4
// replies (fixtures/real/) and the recorded ones. Every entry is named after what was done to it.
import { readdirSync, readFileSync } from 'node:fs';
import { MapSectionCache } from '../../src/scrape/core/map-section.js';
import { renderMetrics, renderMetricsBytes } from '../../src/scrape/core/metrics.js';
import type { Snapshot } from '../../src/scrape/core/snapshot.js';
import { COLLECTION_OUTCOMES } from '../../src/scrape/core/states.js';
import { FIXTURES } from './fixtures.js';
import { GOLDEN_CLUSTER } from './golden.js';
import { checkAgainstFamilies, NO_FAILURES, samples, series } from './scrape.js';

export interface BadReply {
  name: string;
  bytes: Buffer;
}

const MAP_FIELDS = ['name', 'uuid', 'sysfs', 'failback', 'queueing', 'paths', 'write_prot', 'dm_st', 'features', 'hwhandler', 'action', 'path_faults', 'vend', 'prod', 'rev', 'switch_grp', 'map_loads', 'total_q_time', 'q_timeouts', 'path_groups'];
const GROUP_FIELDS = ['selector', 'pri', 'dm_st', 'marginal_st', 'group', 'paths'];
const PATH_FIELDS = ['dev', 'dev_t', 'dm_st', 'dev_st', 'chk_st', 'checker', 'pri', 'host_wwnn', 'target_wwnn', 'host_wwpn', 'target_wwpn', 'host_adapter', 'lun_hex', 'marginal_st'];
const WRONG_VALUES: [string, unknown][] = [
  ['an object', {}],
  ['an array', [1, 'two']],
  ['true', true],
  ['a number', 12345],
  ['null', null],
  ['a negative fraction', -1.5],
  ['a huge number', 1e308],
  ['an empty string', ''],
];
const DEEP = 100_000;

type Json = Record<string, unknown>;
const clone = <T>(value: T): T => structuredClone(value);
const text = (name: string, value: string): BadReply => ({ name, bytes: Buffer.from(value, 'utf8') });
/** 0.9.4's layout is not needed to break the parser: JSON.stringify with 3-space indents is close. */
const json = (name: string, value: unknown): BadReply => text(name, JSON.stringify(value, null, 3));

function sources(): { name: string; text: string; data: Json }[] {
  const real = readdirSync(`${FIXTURES}real`)
    .filter((f) => /^show-maps-json\..+\.json$/.test(f))
    .map((f) => ({ name: `real/${f}`, text: readFileSync(`${FIXTURES}real/${f}`, 'utf8') }));
  const recorded = ['all-six-maps.json', 'fc-alua-4paths-2groups.json'].map((f) => ({ name: f, text: readFileSync(`${FIXTURES}multipathd/${f}`, 'utf8') }));
  return [...real, ...recorded].map((s) => ({ ...s, data: JSON.parse(s.text) as Json }));
}

const mapsOf = (data: Json) => data.maps as Json[];
const groupsOf = (map: Json) => map.path_groups as Json[];
const pathsOf = (group: Json) => group.paths as Json[];

export function badReplies(): BadReply[] {
  const out: BadReply[] = [];
  const all = sources();
  const healthy = all.find((s) => s.name.endsWith('healthy.json'))!;
  const six = all.find((s) => s.name === 'all-six-maps.json')!;

  // Truncation at many offsets (a reply cut by a crash, a full socket buffer).
  for (const source of all) {
    const bytes = Buffer.from(source.text, 'utf8');
    for (let i = 1; i <= 24; i++) {
      const at = Math.floor((bytes.length * i) / 25);
      out.push({ name: `${source.name} cut at byte ${at}`, bytes: bytes.subarray(0, at) });
    }
  }

  // Wrong types, field by field, at every level.
  for (const [what, value] of WRONG_VALUES) {
    for (const field of MAP_FIELDS) {
      const data = clone(healthy.data);
      mapsOf(data)[0]![field] = value;
      out.push(json(`map ${field} is ${what}`, data));
    }
    for (const field of GROUP_FIELDS) {
      const data = clone(healthy.data);
      groupsOf(mapsOf(data)[0]!)[0]![field] = value;
      out.push(json(`path group ${field} is ${what}`, data));
    }
    for (const field of PATH_FIELDS) {
      const data = clone(healthy.data);
      pathsOf(groupsOf(mapsOf(data)[0]!)[0]!)[0]![field] = value;
      out.push(json(`path ${field} is ${what}`, data));
    }
    out.push(json(`maps is ${what}`, { ...healthy.data, maps: value }));
    out.push(json(`major_version is ${what}`, { ...healthy.data, major_version: value }));
    out.push(json(`a map is ${what}`, { ...healthy.data, maps: [value, ...mapsOf(healthy.data)] }));
    out.push(json(`the reply is ${what}`, value));
  }
  out.push(json('a map without uuid', { ...healthy.data, maps: mapsOf(healthy.data).map(({ uuid: _, ...rest }) => rest) }));
  out.push(json('a map with a placeholder uuid', { ...healthy.data, maps: mapsOf(healthy.data).map((m) => ({ ...m, uuid: '[undef]' })) }));

  // Huge strings, and strings that need escaping in an exposition.
  const huge = 'x'.repeat(1 << 20);
  for (const [level, field] of [['map', 'name'], ['map', 'uuid'], ['map', 'vend'], ['path', 'dev'], ['path', 'chk_st']] as const) {
    for (const [what, value] of [['1 MiB', huge], ['quotes, backslashes and newlines', 'a"b\\c\nd}{,='], ['unicode', 'lün-✓-𝄞']] as const) {
      const data = clone(healthy.data);
      const map = mapsOf(data)[0]!;
      if (level === 'map') map[field] = value;
      else pathsOf(groupsOf(map)[0]!)[0]![field] = value;
      out.push(json(`${level} ${field} is ${what}`, data));
    }
  }

  // Deep nesting (a stack overflow on naive recursion).
  const deepArray = `${'['.repeat(DEEP)}${']'.repeat(DEEP)}`;
  const deepObject = `${'{"a":'.repeat(DEEP)}1${'}'.repeat(DEEP)}`;
  for (const [what, deep] of [['array', deepArray], ['object', deepObject]] as const) {
    for (const field of ['name', 'uuid', 'features', 'path_groups']) {
      out.push(text(`map ${field} is a ${DEEP}-deep ${what}`, healthy.text.replace(new RegExp(`"${field}" : ("[^"]*"|\\[)`), `"${field}" : ${deep}, "was" : $1`)));
    }
    out.push(text(`maps is a ${DEEP}-deep ${what}`, `{"major_version": 0, "minor_version": 1, "maps": ${deep}}`));
    out.push(text(`a map is a ${DEEP}-deep ${what}`, `{"major_version": 0, "minor_version": 1, "maps": [${deep}]}`));
  }

  // Repeats.
  for (const source of all.filter((s) => mapsOf(s.data).length > 0)) {
    const maps = mapsOf(source.data);
    out.push(json(`${source.name}: every map twice`, { ...source.data, maps: [...maps, ...maps] }));
    out.push(json(`${source.name}: the first map three times`, { ...source.data, maps: [maps[0], maps[0], maps[0], ...maps.slice(1)] }));
    const data = clone(source.data);
    const groups = groupsOf(mapsOf(data)[0]!);
    groups.push(clone(groups[0]!));
    out.push(json(`${source.name}: a path group repeated`, data));
    const dupPaths = clone(source.data);
    for (const group of groupsOf(mapsOf(dupPaths)[0]!)) group.paths = [...pathsOf(group), ...pathsOf(group)];
    out.push(json(`${source.name}: every path twice in its group`, dupPaths));
    const nameless = clone(source.data);
    for (const group of groupsOf(mapsOf(nameless)[0]!)) for (const path of pathsOf(group)) Object.assign(path, { dev: '-', dev_t: '#:#' });
    out.push(json(`${source.name}: every path nameless`, nameless));
    const sameGroup = clone(source.data);
    for (const group of groupsOf(mapsOf(sameGroup)[0]!)) group.group = 1;
    out.push(json(`${source.name}: every group numbered 1`, sameGroup));
    const sameDev = clone(source.data);
    for (const group of groupsOf(mapsOf(sameDev)[0]!)) for (const path of pathsOf(group)) path.dev = 'sda';
    out.push(json(`${source.name}: every path named sda`, sameDev));
  }

  // States no version of multipathd prints.
  for (const [level, field] of [['map', 'dm_st'], ['group', 'dm_st'], ['path', 'dm_st'], ['path', 'chk_st'], ['path', 'dev_st'], ['path', 'marginal_st']] as const) {
    for (const state of ['brand-new-state', 'ACTIVE', ' ready ', '[unknown]', 'i/o pending\n']) {
      const data = clone(six.data);
      for (const map of mapsOf(data)) {
        if (level === 'map') map[field] = state;
        for (const group of groupsOf(map)) {
          if (level === 'group') group[field] = state;
          if (level === 'path') for (const path of pathsOf(group)) path[field] = state;
        }
      }
      out.push(json(`every ${level} ${field} is ${JSON.stringify(state)}`, data));
    }
  }

  // Bytes that are not UTF-8, NUL bytes, control characters.
  const at = (bytes: Buffer, needle: string) => bytes.indexOf(needle) + needle.length;
  for (const source of all) {
    const bytes = Buffer.from(source.text, 'utf8');
    const inString = at(bytes, '"dm_st" : "');
    const splice = (name: string, offset: number, insert: number[]) =>
      out.push({ name: `${source.name}: ${name}`, bytes: Buffer.concat([bytes.subarray(0, offset), Buffer.from(insert), bytes.subarray(offset)]) });
    splice('0xff 0xfe inside a string', inString, [0xff, 0xfe]);
    splice('a lone continuation byte inside a string', inString, [0x80]);
    splice('an overlong NUL inside a string', inString, [0xc0, 0x80]);
    splice('a NUL byte inside a string', inString, [0]);
    splice('a NUL byte between tokens', at(bytes, '"maps":'), [0]);
    splice('0xff between tokens', at(bytes, '"maps":'), [0xff]);
    splice('a raw newline inside a string', inString, [0x0a]);
    out.push({ name: `${source.name}: NUL bytes after the reply`, bytes: Buffer.concat([bytes, Buffer.from([0, 0, 0])]) });
    out.push({ name: `${source.name}: a second reply after the first`, bytes: Buffer.concat([bytes, bytes]) });
  }
  const escapes = clone(healthy.data);
  Object.assign(mapsOf(escapes)[0]!, { name: 'nul\u0000inside', vend: 'lone \ud800 surrogate', prod: 'bell\u0007' });
  out.push(json('escaped NUL, lone surrogate and BEL in label values', escapes));

  // Replies that are not the payload at all.
  for (const reply of ['', ' \n', 'fail\n', 'fail\ntimeout\n', 'timeout\n', 'permission deny: need to be root\n', 'multipath-tools v0.9.4 (12/19, 2022)\nUsage: ...\n', '{', '}', 'null', '[]', '42', '"maps"', '{"major_version": 0}', '{"major_version": 0, "maps": {}}', '\u0000', '\ufeff{"major_version": 0, "minor_version": 1, "maps": []}']) {
    out.push(text(`the reply ${JSON.stringify(reply.slice(0, 40))}`, reply));
  }
  return out;
}

/**
 * Renders one scrape of `snapshot` both ways (one piece, and through the map-section cache), holds
 * the text to the declared families and to the one-reason rule, and names the outcome: `good`,
 * `good, some skipped or dropped`, or `failed: <reason>`. Throws on any violation.
 */
export function scrapeOutcome(snapshot: Snapshot): string {
  const input = { snapshot, failures: NO_FAILURES, config: GOLDEN_CLUSTER, nodename: 'pve1', version: '1' };
  const text = renderMetrics(input);
  const cache = new MapSectionCache();
  if (renderMetricsBytes(input, (maps, config) => cache.render(maps, config)).toString('utf8') !== text) throw new Error('the cached render differs');
  const { violations } = checkAgainstFamilies(text);
  if (violations.length > 0) throw new Error(violations.join('; '));
  const outcomes = series(text, 'multipath_collection_error').filter((s) => s.value === 1);
  if (outcomes.length !== 1) throw new Error(`${outcomes.length} collection outcomes at 1`);
  const up = samples(text).get('multipath_up');
  if (!snapshot.ok) {
    if (up !== 0 || outcomes[0]!.labels.reason !== snapshot.reason) throw new Error('a failed snapshot exported as another outcome');
    if (!COLLECTION_OUTCOMES.includes(snapshot.reason) || snapshot.message.trim() === '') throw new Error('a failure without a reason or a message');
    if (/^multipath_(map|path)_(?!expected|paths_expected)/m.test(text.replace(/^multipath_map_(paths_)?expected\{.*$/gm, ''))) throw new Error('map series after a failed collection');
    return `failed: ${snapshot.reason}`;
  }
  if (up !== 1 || outcomes[0]!.labels.reason !== 'none') throw new Error('a good snapshot exported as failed');
  const discarded = [...Object.values(snapshot.skipped), ...Object.values(snapshot.dropped)].reduce((a, b) => a + b, 0);
  return discarded > 0 ? 'good, some skipped or dropped' : 'good';
}

/** Outcome counts, for the log of a corpus run. */
export function countOutcomes(outcomes: readonly string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const outcome of [...outcomes].sort()) counts[outcome] = (counts[outcome] ?? 0) + 1;
  return counts;
}
