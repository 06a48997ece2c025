// The one definition of a chain id: `<run>/<topic>/<partition>/<block>/<chain>`. Stable under replay
// (the layout fixes block and chain from a record's position) and unique across runs, topics and
// partitions. Run ids and topic names never contain '/', so the fields split unambiguously.

export interface ChainIdParts {
  runId: string;
  topic: string;
  partition: number;
  block: number;
  chainIndex: number;
}

/** The prefix every chain of one run over one partition shares; synth keys that partition's state by it. */
export const partitionScope = (runId: string, topic: string, partition: number): string =>
  `${runId}/${topic}/${partition}`;

export function formatChainId(p: ChainIdParts): string {
  return `${partitionScope(p.runId, p.topic, p.partition)}/${p.block}/${p.chainIndex}`;
}

export function parseChainId(id: string): ChainIdParts {
  const parts = id.split('/');
  if (parts.length !== 5) throw new Error(`not a chain id: ${id}`);
  const [runId, topic, partition, block, chainIndex] = parts as [string, string, string, string, string];
  const nums = [partition, block, chainIndex].map((s) => (/^\d+$/.test(s) ? Number(s) : Number.NaN));
  if (nums.some((x) => !Number.isSafeInteger(x))) throw new Error(`not a chain id: ${id}`);
  return {
    runId,
    topic,
    partition: nums[0] as number,
    block: nums[1] as number,
    chainIndex: nums[2] as number,
  };
}

/** A chain's key inside its partition's scope: `<block>/<chain>`. */
export function chainKeyInScope(chainId: string): string {
  const { block, chainIndex } = parseChainId(chainId);
  return `${block}/${chainIndex}`;
}

/** The chain a state key of a partition's scope belongs to (keys are `<block>/<chain>` or extend it). */
export function chainIdOfKey(scope: string, key: string): string | undefined {
  const [block, chain] = key.split('/');
  return block && chain ? `${scope}/${block}/${chain}` : undefined;
}

/** A chain's place independent of the run that made it: `<topic>/<partition>/<block>/<chain>`. */
export function chainPlace(chainId: string): string {
  const { topic, partition, block, chainIndex } = parseChainId(chainId);
  return `${topic}/${partition}/${block}/${chainIndex}`;
}

/** The run a chain id was made by. */
export const chainRun = (chainId: string): string => parseChainId(chainId).runId;
