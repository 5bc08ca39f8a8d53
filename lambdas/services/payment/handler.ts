import { makeWorker } from '../../adapters/worker';
import { payment } from './payment';

export const handler = makeWorker('payment', payment);
