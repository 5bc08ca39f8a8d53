import { makeWorker } from '../../adapters/worker';
import { orders } from './orders';

export const handler = makeWorker('orders', orders);
