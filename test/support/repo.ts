import { fileURLToPath } from 'node:url';

/** The repository's top folder, for tests that read shipped files (rules, dashboards, docs, fixtures). */
export const REPO = fileURLToPath(new URL('../../', import.meta.url)).replace(/\/$/, '');
