import type { Command } from 'commander';
import { register as broker } from './broker.js';

/** Each command module exports a `register(program)`; one line here per command keeps main.ts stable. */
export type RegisterCommand = (program: Command) => void;

export const commands: RegisterCommand[] = [broker];
