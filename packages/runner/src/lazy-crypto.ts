/**
 * node:crypto on first use. Loading it (with its keys and argon2 modules) costs about 6 ms of a
 * process start, and most kit-runner processes (a quickCheck, a status, a Pacemaker monitor) never
 * need a random name or a hash: the modules that do call these instead of importing node:crypto
 * (builtin.ts).
 */
import type * as Crypto from 'node:crypto';
import { builtin } from './builtin.ts';

const crypto = (): typeof Crypto => builtin<typeof Crypto>('node:crypto');

export const randomHex = (bytes: number): string => crypto().randomBytes(bytes).toString('hex');
export const sha256 = (): Crypto.Hash => crypto().createHash('sha256');
