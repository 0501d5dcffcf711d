/** @recovery-kit/create-kit as a library: what the bin does, for tools and tests. */
export { dependencyRanges, render, scaffold, ScaffoldError, type ScaffoldOptions } from './scaffold.ts';
