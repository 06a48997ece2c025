// One worker thread of ingest's step pool: builds the pure steps once from the options it was
// started with, then runs each task's steps on its document.

import { workerData } from 'piscina';
import { runSegment, type SegmentAnswer, type SegmentTask } from './segment.ts';
import { pureSteps, type WorkerSpec } from './spec.ts';

const steps = await pureSteps(workerData as WorkerSpec);

export default (task: SegmentTask): SegmentAnswer => runSegment(steps, task);
