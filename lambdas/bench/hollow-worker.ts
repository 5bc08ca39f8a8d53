/**
 * Entry of every hollow worker (`-c bench=hollow`): the shared worker runtime (lambdas/adapters/worker.ts) around the
 * hollow handler of the service named in the function's environment, set by the same construct as the real worker's.
 */
import { makeWorker } from '../adapters/worker';
import { required } from '../adapters/env';
import { serviceNamed } from '../services/registry';
import { ENV } from '../contract';
import { hollowHandler } from './hollow';

const service = serviceNamed(required(ENV.service)).name;

export const handler = makeWorker(service, hollowHandler(service));
