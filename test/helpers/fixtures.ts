import path from 'node:path';
import {fileURLToPath} from 'node:url';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const fixture = (name: string) => path.join(root, 'fixtures', name);
export const echoServer = fixture('echo-server.js');
export const cli = path.join(root, 'distribution', 'cli.js');
