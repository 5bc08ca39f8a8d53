/**
 * The fault suite runs against the same locally deployed stack as the integration suite: it reuses that harness
 * (start or reuse this checkout's emulator, deploy, seed, provide the endpoint and outputs; stop it afterwards
 * unless KEEP_EMULATOR=1 or `npm run local` owns it).
 */
export { default } from '../integration/global-setup';
