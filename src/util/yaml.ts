/**
 * The `yaml` package, loaded on first use. It costs about 12 MB of server
 * memory, and a server only needs it when a client sends or asks for YAML.
 */
import { createRequire } from 'node:module';

type YamlLib = typeof import('yaml');

const require = createRequire(import.meta.url);
let lib: YamlLib | undefined;

export function yaml(): YamlLib {
  return (lib ??= require('yaml') as YamlLib);
}
