import { makeWorker } from '../../adapters/worker';
import { inventory } from './inventory';

export const handler = makeWorker('inventory', inventory);
