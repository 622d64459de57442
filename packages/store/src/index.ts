export * from './records.js';
export * from './run-store.js';
export * from './in-memory.js';
export * from './json-file.js';
export * from './lookups.js';
export { StoreLockedError, type LockOwner } from './writer-lock.js';
export { parseTrialId } from './ids.js';
export * from './migrations.js';
export { writeFileAtomic, type ContentPieces, type DurableWriteOptions } from './durable-file.js';
