// The shared config lives at the workspace root, outside any project.
// eslint-disable-next-line @nx/enforce-module-boundaries
import { sharedConfig } from '../../vitest.shared.js';

export default sharedConfig;
