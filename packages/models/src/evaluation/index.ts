// Thresholds and metrics: pure TypeScript, no tfjs, so the main thread of a sweep and
// the score command can evaluate saved errors without loading a backend.
export {};
