import { z } from 'zod';
import type { Json } from './json.js';

/** Any JSON value (zod), for user-supplied parameter values. */
export const jsonSchema: z.ZodType<Json> = z.lazy(() =>
  z.union([z.null(), z.boolean(), z.number(), z.string(), z.array(jsonSchema), z.record(z.string(), jsonSchema)]),
);
