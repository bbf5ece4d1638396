// Which multipath maps are in use (pure): /proc/self/mountinfo plus the sysfs holders chain. A map
// carries a mounted filesystem when it, or anything stacked on it (kpartx partitions, LVM logical
// volumes, dm-crypt, ...), is mounted; those WWIDs must never leave the allow-list: with
// `find_multipaths strict` the map would not be reassembled at the next boot (root on multipath!).
// A map with holders (LVM active on it, VM disks on those volumes) is in use even unmounted.

export interface MountEntry {
  /** `major:minor` of the mounted device. */
  dev: string;
  mountPoint: string;
  fsType: string;
  source: string;
}

/** Unescapes mountinfo's octal escapes (`\040` is a space). */
function unescape(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_, oct: string) => String.fromCharCode(parseInt(oct, 8)));
}

/** Parses /proc/self/mountinfo (proc(5)); malformed lines are skipped. */
export function parseMountinfo(text: string): MountEntry[] {
  const out: MountEntry[] = [];
  for (const line of text.split('\n')) {
    const fields = line.trim().split(' ');
    const sep = fields.indexOf('-', 6);
    if (fields.length < 7 || sep < 0 || !/^\d+:\d+$/.test(fields[2] ?? '')) continue;
    out.push({
      dev: fields[2]!,
      mountPoint: unescape(fields[4]!),
      fsType: fields[sep + 1] ?? '',
      source: unescape(fields[sep + 2] ?? ''),
    });
  }
  return out;
}

/**
 * Active swap areas from /proc/swaps, as mount entries (`[SWAP]`, fsType `swap`, matched by
 * source: the kernel prints `/dev/dm-N` for a device-mapper swap device). Swap files are skipped.
 */
export function parseSwaps(text: string): MountEntry[] {
  return text
    .split('\n')
    .slice(1)
    .map((line) => line.trim().split(/\s+/))
    .filter((f) => f.length >= 2 && f[1] === 'partition' && f[0]!.startsWith('/dev/'))
    .map((f) => ({ dev: '', mountPoint: '[SWAP]', fsType: 'swap', source: unescape(f[0]!) }));
}

/** One block device as sysfs shows it (`/sys/class/block/<name>`). */
export interface BlockDevice {
  /** Kernel name: `dm-3`, `sda`, `sda1`. */
  name: string;
  /** `major:minor` (the `dev` file). */
  dev: string;
  /** Names in `holders/`: the devices stacked on this one. */
  holders: string[];
  /** `dm/uuid`, for device-mapper devices: `mpath-<wwid>`, `part1-mpath-<wwid>`, `LVM-...`. */
  dmUuid?: string;
  /** `dm/name`, for device-mapper devices (the /dev/mapper name). */
  dmName?: string;
}

/** The WWID of a multipath map from its dm uuid (`mpath-<wwid>`), else undefined. */
export function mpathWwid(dmUuid: string | undefined): string | undefined {
  const m = /^mpath-(.+)$/.exec(dmUuid?.trim() ?? '');
  return m?.[1];
}

function describe(dev: BlockDevice): string {
  const uuid = dev.dmUuid ?? '';
  const kind = /^part\d+-/.test(uuid)
    ? 'partition'
    : uuid.startsWith('LVM-')
      ? 'LVM'
      : uuid.startsWith('CRYPT-')
        ? 'dm-crypt'
        : uuid.startsWith('mpath-')
          ? 'map'
          : 'holder';
  return `${dev.dmName ?? dev.name} (${kind})`;
}

/**
 * WWID -> description of one mount on it (`/ on dm-0 ...`), for every multipath map that carries a
 * mounted filesystem directly or through its holders.
 */
export function mountedMultipathWwids(mounts: MountEntry[], devices: BlockDevice[]): Map<string, string> {
  const byName = new Map(devices.map((d) => [d.name, d]));
  const mountsByDev = new Map<string, MountEntry[]>();
  for (const m of mounts) mountsByDev.set(m.dev, [...(mountsByDev.get(m.dev) ?? []), m]);
  // Sources such as /dev/mapper/<name> or /dev/dm-N, for file systems whose st_dev is anonymous (btrfs).
  const bySource = new Map<string, MountEntry>();
  for (const m of mounts) if (!bySource.has(m.source)) bySource.set(m.source, m);

  const mountOf = (d: BlockDevice): MountEntry | undefined =>
    mountsByDev.get(d.dev)?.[0] ??
    bySource.get(`/dev/${d.name}`) ??
    (d.dmName !== undefined ? bySource.get(`/dev/mapper/${d.dmName}`) : undefined);

  const out = new Map<string, string>();
  for (const map of devices) {
    const wwid = mpathWwid(map.dmUuid);
    if (wwid === undefined) continue;
    // Breadth-first up the holders chain; the first mounted device found is reported.
    const seen = new Set<string>([map.name]);
    const queue: Array<{ dev: BlockDevice; via: string[] }> = [{ dev: map, via: [] }];
    while (queue.length > 0) {
      const { dev, via } = queue.shift()!;
      const mount = mountOf(dev);
      if (mount) {
        const chain = via.length > 0 ? ` via ${via.join(' -> ')}` : '';
        out.set(wwid, `${mount.mountPoint} (${mount.fsType}) on ${describe(dev)}${chain}`);
        break;
      }
      for (const holder of dev.holders) {
        const next = byName.get(holder);
        if (next && !seen.has(holder)) {
          seen.add(holder);
          queue.push({ dev: next, via: [...via, describe(dev)] });
        }
      }
    }
  }
  return out;
}

/** WWID -> what holds the map (`held by pve-vm--100--disk--0 (LVM)`), for every multipath map with holders. */
export function heldMultipathWwids(devices: BlockDevice[]): Map<string, string> {
  const byName = new Map(devices.map((d) => [d.name, d]));
  const out = new Map<string, string>();
  for (const map of devices) {
    const wwid = mpathWwid(map.dmUuid);
    if (wwid === undefined || map.holders.length === 0) continue;
    const holders = [...map.holders].sort().map((h) => (byName.has(h) ? describe(byName.get(h)!) : h));
    out.set(wwid, `${map.name} is held by ${holders.join(', ')}`);
  }
  return out;
}
