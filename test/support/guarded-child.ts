// A harness for the process-guard test: starts one managed `sleep` (under the guard with argv
// `guarded`), prints its process group id, and waits to be killed.
import { spawnManaged } from '../../src/sim/processes.js';

const sleeper = spawnManaged('sleeper', 'sleep', ['600'], process.argv[2] === 'guarded' ? { guard: { maxLifetimeSec: 120 } } : {});
console.log(sleeper.pid);
setInterval(() => {}, 60_000);
