import { makeWorker } from '../../adapters/worker';
import { notification } from './notification';

export const handler = makeWorker('notification', notification);
