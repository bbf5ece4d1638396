// scripts/install-deps.sh must leave the host's services as they are: it runs here in a scratch
// copy of the repository with systemctl, apt-get, npm and id stubbed on PATH (each records its
// calls), and a scratch root (DEPS_ROOT) where every package is missing and policy-rc.d lives.
import { chmod, copyFile, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { execa } from 'execa';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { REPO } from '../support/repo.js';

let dir: string;
let root: string;
let calls: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mpe-install-deps-'));
  root = join(dir, 'root');
  calls = join(dir, 'calls.log');
  await mkdir(join(dir, 'repo', 'scripts'), { recursive: true });
  await mkdir(join(root, 'usr', 'sbin'), { recursive: true });
  await copyFile(join(REPO, 'scripts', 'install-deps.sh'), join(dir, 'repo', 'scripts', 'install-deps.sh'));
  await writeFile(join(dir, 'repo', 'package-lock.json'), '{}\n');
  const bin = join(dir, 'bin');
  await mkdir(bin);
  const stub = async (name: string, body: string) => {
    await writeFile(join(bin, name), `#!/bin/bash\necho "${name} $*" >> "${calls}"\n${body}\n`);
    await chmod(join(bin, name), 0o755);
  };
  // Every service reports active, as on a storage node running multipathd and Prometheus.
  await stub('systemctl', 'exit 0');
  // A package's postinst starts its service through invoke-rc.d, which asks policy-rc.d first
  // (101: denied); this stub does the same for prometheus on `install`.
  await stub(
    'apt-get',
    `if [[ "$1" == install || "$*" == *" install "* ]]; then
  policy="${root}/usr/sbin/policy-rc.d"
  if [[ -x "$policy" ]]; then "$policy" prometheus.service start; rc=$?; else rc=0; fi
  echo "policy-rc.d prometheus start -> $rc" >> "${calls}"
  if [[ $rc -ne 101 ]]; then systemctl start prometheus.service; fi
fi
exit 0`,
  );
  await stub('npm', 'exit 0');
  await stub('id', '[[ "$1" == -u ]] && echo 0 || /usr/bin/id "$@"');
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function runInstallDeps(): Promise<string[]> {
  const result = await execa('bash', [join(dir, 'repo', 'scripts', 'install-deps.sh')], {
    env: { PATH: `${join(dir, 'bin')}:${process.env.PATH}`, DEPS_ROOT: root },
    reject: false,
    timeout: 30_000,
  });
  expect(result.exitCode, result.stderr).toBe(0);
  return (await readFile(calls, 'utf8')).trim().split('\n');
}

describe('scripts/install-deps.sh', () => {
  it('installs the missing packages with service starts denied, and never stops, starts or reloads a service', async () => {
    const log = await runInstallDeps();
    expect(log).toContainEqual(expect.stringMatching(/^apt-get install .*prometheus/));
    expect(log).toContain('policy-rc.d prometheus start -> 101');
    expect(log.filter((l) => /^systemctl (stop|start|restart|reload|try-restart|reload-or-restart|kill|mask|disable|enable)\b/.test(l))).toEqual([]);
    expect(log).toContain('npm ci --no-audit --no-fund --loglevel=error');
    // Only for the install: afterwards no policy-rc.d is left behind.
    await expect(readdir(join(root, 'usr', 'sbin'))).resolves.toEqual([]);
  });

  it("puts an admin's own policy-rc.d back unchanged", async () => {
    const own = '#!/bin/sh\n# the admin\'s own\nexit 0\n';
    await writeFile(join(root, 'usr', 'sbin', 'policy-rc.d'), own, { mode: 0o755 });
    const log = await runInstallDeps();
    expect(log).toContain('policy-rc.d prometheus start -> 101');
    expect(await readFile(join(root, 'usr', 'sbin', 'policy-rc.d'), 'utf8')).toBe(own);
    await expect(readdir(join(root, 'usr', 'sbin'))).resolves.toEqual(['policy-rc.d']);
  });
});

// Shell and TypeScript that run on the host (not inside a lab VM or a debootstrapped chroot).
const HOST_SERVICE_CHANGE = /\bsystemctl\s+(?:--\S+\s+)*(?:stop|restart|reload|try-restart|reload-or-restart|kill)\b|\bservice\s+\S+\s+(?:stop|restart|reload)\b|\binvoke-rc\.d\s+\S+\s+(?:stop|restart|reload)\b/;
// Files whose service commands run only inside a lab VM, each with the reason.
const ALLOWED: Record<string, string> = {
  'lab/debian-node.ts': "the Debian lab's steps, run in the qemu guest through its agent's named actions",
};

async function filesUnder(path: string): Promise<string[]> {
  const entries = await readdir(path, { withFileTypes: true, recursive: true });
  return entries.filter((e) => e.isFile() && /\.(sh|ts|mjs|js)$|\/(init|[^./]+)$/.test(join(e.parentPath, e.name))).map((e) => join(e.parentPath, e.name));
}

describe('no script stops, restarts or reloads a host service', () => {
  it('scripts/, lab/ and test/ contain no systemctl/service stop, restart or reload', async () => {
    const offenders: string[] = [];
    for (const top of ['scripts', 'lab', 'test']) {
      for (const file of await filesUnder(join(REPO, top))) {
        const rel = relative(REPO, file);
        if (rel === 'test/scripts/install-deps.test.ts' || rel in ALLOWED) continue;
        const text = await readFile(file, 'utf8');
        text.split('\n').forEach((line, i) => {
          if (HOST_SERVICE_CHANGE.test(line)) offenders.push(`${rel}:${i + 1}: ${line.trim()}`);
        });
      }
    }
    expect(offenders).toEqual([]);
  });

  it('the pattern catches the forms a script would use', () => {
    for (const line of ['systemctl stop multipathd', 'systemctl --quiet restart prometheus', 'service multipath-tools stop', 'invoke-rc.d prometheus reload']) {
      expect(HOST_SERVICE_CHANGE.test(line), line).toBe(true);
    }
    for (const line of ['systemctl is-active --quiet multipathd', 'systemctl status x', 'systemctl cat multipathd']) {
      expect(HOST_SERVICE_CHANGE.test(line), line).toBe(false);
    }
  });
});
