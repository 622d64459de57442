import { x } from '@aelab/store';
export const y = x + 1;
