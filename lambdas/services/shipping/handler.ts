import { makeWorker } from '../../adapters/worker';
import { shipping } from './shipping';

export const handler = makeWorker('shipping', shipping);
