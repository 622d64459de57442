// eslint-disable-next-line @nx/enforce-module-boundaries -- the shared vitest config lives at the workspace root, not in a project
import { sharedConfig } from '../../vitest.shared.js';

export default sharedConfig;
