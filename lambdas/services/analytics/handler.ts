import { makeWorker } from '../../adapters/worker';
import { analytics } from './analytics';

export const handler = makeWorker('analytics', analytics);
