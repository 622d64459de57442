import { InMemoryRunStore } from '../src/index.js';
import { runStoreConformance } from './conformance.js';

runStoreConformance('InMemoryRunStore', async () => new InMemoryRunStore());
