// Makes an API key: prints the key (give it to the client) and its API_KEYS entry (give
// that to the server; it holds only the key's sha256). Usage: npm run key:new -- NAME [SCOPES]
import { randomBytes } from 'node:crypto';
import { sha256Hex } from '../src/api/auth.js';

const [name, scopes = 'runs+read'] = process.argv.slice(2);
if (!name || !/^[A-Za-z0-9_.-]+$/.test(name)) {
  console.error('usage: npm run key:new -- NAME [SCOPES]   (SCOPES: runs, read, admin joined by +; default runs+read)');
  process.exit(2);
}
const key = `rbx_${randomBytes(24).toString('base64url')}`;
console.log(`key:        ${key}`);
console.log(`API_KEYS entry: ${name}:${scopes}:${sha256Hex(key)}`);
