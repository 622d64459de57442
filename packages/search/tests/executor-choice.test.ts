import { describe, expect, it } from 'vitest';
import { executorDefinition } from '../src/executors/index.js';

// Which executor runs a study's trainings: a kind and an address must agree; nothing switches silently.
describe('the executor a study asks for', () => {
  it.each([
    [undefined, undefined, 'pool'],
    ['population', undefined, 'population'],
    [undefined, 'redis://host:6379', 'redis'],
    ['redis', 'rediss://host:6380', 'redis'],
  ])('kind %s with address %s is %s', (kind, address, expected) => {
    expect(executorDefinition(kind, address).kind).toBe(expected);
  });

  it.each([
    [
      'population',
      'redis://127.0.0.1:1',
      /kind "population" runs trainings on this machine and takes no address.*set kind "redis"/,
    ],
    ['pool', 'redis://host:6379', /kind "pool" runs trainings on this machine and takes no address/],
    ['gpu-farm', undefined, /unknown kind "gpu-farm"; known: /],
    [undefined, 'http://host', /'http:' names no executor/],
  ])('kind %s with address %s is refused', (kind, address, problem) => {
    expect(() => executorDefinition(kind, address)).toThrow(problem);
  });
});
