/**
 * Where Temporal is, from the environment, for workers and clients alike:
 *
 * | variable | default | meaning |
 * | --- | --- | --- |
 * | `TEMPORAL_ADDRESS` | `localhost:7233` | frontend `host:port` (Temporal Cloud: `<ns>.<acct>.tmprl.cloud:7233`) |
 * | `TEMPORAL_NAMESPACE` | `default` | namespace |
 * | `TEMPORAL_TLS_CERT`, `TEMPORAL_TLS_KEY` | – | files of the mTLS client certificate and key |
 * | `TEMPORAL_TLS_CA` | – | file of the server's root CA, when not publicly trusted |
 * | `TEMPORAL_TLS_SERVER_NAME` | – | SNI override |
 * | `TEMPORAL_TLS` | on with a cert or API key | `true`/`false` forces TLS on or off |
 * | `TEMPORAL_API_KEY` | – | API key (Temporal Cloud); implies TLS |
 * | `ESP_TASK_QUEUE` | `esp` | task queue of the ESP+ workers |
 */
import { readFileSync } from 'node:fs';
import type { TLSConfig } from '@temporalio/client';
import { DEFAULT_TASK_QUEUE } from './types.js';

export interface TemporalSettings {
  address: string;
  namespace: string;
  taskQueue: string;
  tls: TLSConfig | boolean;
  apiKey?: string;
}

function readFile(variable: string, file: string): Buffer {
  try {
    return readFileSync(file);
  } catch (error) {
    throw new Error(`${variable}=${file}: cannot read it (${(error as Error).message})`);
  }
}

export function temporalSettings(env: NodeJS.ProcessEnv = process.env): TemporalSettings {
  const cert = env['TEMPORAL_TLS_CERT'];
  const key = env['TEMPORAL_TLS_KEY'];
  if (Boolean(cert) !== Boolean(key)) throw new Error('TEMPORAL_TLS_CERT and TEMPORAL_TLS_KEY go together: set both or neither');
  const apiKey = env['TEMPORAL_API_KEY'] || undefined;
  const forced = env['TEMPORAL_TLS']?.toLowerCase();
  let tls: TLSConfig | boolean = false;
  if (cert || apiKey || env['TEMPORAL_TLS_CA'] || forced === 'true' || forced === '1') {
    const config: TLSConfig = {};
    if (cert && key) config.clientCertPair = { crt: readFile('TEMPORAL_TLS_CERT', cert), key: readFile('TEMPORAL_TLS_KEY', key) };
    if (env['TEMPORAL_TLS_CA']) config.serverRootCACertificate = readFile('TEMPORAL_TLS_CA', env['TEMPORAL_TLS_CA']);
    if (env['TEMPORAL_TLS_SERVER_NAME']) config.serverNameOverride = env['TEMPORAL_TLS_SERVER_NAME'];
    tls = Object.keys(config).length > 0 ? config : true;
  }
  if (forced === 'false' || forced === '0') tls = false;
  return {
    address: env['TEMPORAL_ADDRESS'] || 'localhost:7233',
    namespace: env['TEMPORAL_NAMESPACE'] || 'default',
    taskQueue: env['ESP_TASK_QUEUE'] || DEFAULT_TASK_QUEUE,
    tls,
    ...(apiKey ? { apiKey } : {}),
  };
}
