import type { CommandModule } from 'yargs';
import { infoOptions, type InfoOptions } from '../args.js';

export const infoCommand: CommandModule<object, InfoOptions> = {
  command: 'info',
  describe:
    'Show the TensorFlow.js backend that would be used, wasm SIMD/threads, the GPU adapter (webgpu), versions and CPUs',
  builder: infoOptions,
  handler: async (args) => {
    const { initBackend } = await import('@aelab/models');
    const info = await initBackend(args.backend ?? 'auto');
    if (args.json) {
      console.log(JSON.stringify(info, null, 2));
      return;
    }
    const rows: [string, unknown][] = [
      ['backend', info.backend],
      ['wasm SIMD', info.simd],
      ['wasm multithreading', info.multithread],
      ['tfjs', info.tfjsVersion],
      ['node', info.nodeVersion],
      ['CPUs', info.cpus],
      ['backend safe in several worker threads', info.nativeThreadSafe],
    ];
    if (info.adapter) {
      const { vendor, architecture, description, fallback } = info.adapter;
      rows.push(
        ['GPU adapter', description],
        ['GPU vendor / architecture', `${vendor} / ${architecture}`],
        ['GPU adapter is a fallback (software)', fallback],
      );
    }
    for (const [k, v] of rows) console.log(`${k.padEnd(38)} ${v}`);
  },
};
