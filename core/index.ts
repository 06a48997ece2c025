// Public surface of core/: the method of Instruction Pre-Training as pure functions.
// core/mistral.ts (the real tokenizer) is exported separately because loading it reads files.

export * from './budget.ts';
export * from './chain.ts';
export * from './chunk.ts';
export * from './format.ts';
export * from './layout.ts';
export * from './parse.ts';
export * from './prng.ts';
export * from './templates/patterns.ts';
export * from './templates/render.ts';
export * from './templates/structure.ts';
export * from './templates/version.ts';
export * from './tokens.ts';
export * from './types.ts';
