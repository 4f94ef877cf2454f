import path from 'node:path';
import { projectRoot } from '../paths';

/** Where the built browser assets live: dist/web under the project root, whether running from src/ or dist/. */
export const webAssetsDir = (): string => path.join(projectRoot(), 'dist', 'web');
