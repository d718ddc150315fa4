import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { DnsResolver, systemLookup, type AddressLookup } from '../src/exporters/load_balancing/dns-resolver.js';

const silent = pino({ level: 'silent' });
const settle = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function recorder() {
  const lists: string[][] = [];
  return { lists, onChange: (backends: readonly string[]) => lists.push([...backends]) };
}

describe('resolver.dns', () => {
  test('each address is a backend at the port; re-resolved every interval; only changes are reported', async () => {
    let answer = ['10.0.0.2', '10.0.0.1', 'fd00::1'];
    const lookup: AddressLookup = async () => answer;
    const resolutions: boolean[] = [];
    const resolver = new DnsResolver(
      { hostname: 'samplers', port: 5317, interval: 30, timeout: 1000 },
      silent,
      { resolution: (ok) => resolutions.push(ok) },
      lookup,
    );
    const { lists, onChange } = recorder();
    await resolver.start(onChange);
    assert.deepEqual(lists, [['10.0.0.1:5317', '10.0.0.2:5317', '[fd00::1]:5317']], 'sorted, IPv6 in brackets');
    await settle(100);
    assert.equal(lists.length, 1, 'the same answer is not a change');
    answer = ['10.0.0.3', '10.0.0.1'];
    await settle(100);
    await resolver.shutdown();
    assert.deepEqual(lists.at(-1), ['10.0.0.1:5317', '10.0.0.3:5317']);
    assert.equal(lists.length, 2);
    assert.ok(resolutions.length >= 3 && resolutions.every(Boolean));
  });

  test('a failed or timed-out look-up keeps the backends known so far and is counted', async () => {
    let mode: 'ok' | 'fail' | 'hang' = 'ok';
    const lookup: AddressLookup = (hostname) => {
      if (mode === 'fail') return Promise.reject(Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' }));
      if (mode === 'hang') return new Promise(() => undefined);
      return Promise.resolve(['10.0.0.1']);
    };
    const resolutions: boolean[] = [];
    const resolver = new DnsResolver(
      { hostname: 'samplers', port: 4317, interval: 20, timeout: 30 },
      silent,
      { resolution: (ok) => resolutions.push(ok) },
      lookup,
    );
    const { lists, onChange } = recorder();
    await resolver.start(onChange);
    mode = 'fail';
    await settle(80);
    mode = 'hang';
    await settle(150);
    await resolver.shutdown();
    assert.deepEqual(lists, [['10.0.0.1:4317']], 'failures never empty the ring');
    assert.ok(resolutions.filter((ok) => !ok).length >= 2, 'failures (including timeouts) are counted');
  });

  test('a name that does not resolve at start gives an empty list, then the backends once it does', async () => {
    let known = false;
    const lookup: AddressLookup = async () => {
      if (!known) throw new Error('ENOTFOUND');
      return ['10.0.0.9'];
    };
    const resolver = new DnsResolver({ hostname: 'later', port: 4317, interval: 20, timeout: 100 }, silent, undefined, lookup);
    const { lists, onChange } = recorder();
    await resolver.start(onChange);
    assert.deepEqual(lists, [[]]);
    known = true;
    await settle(80);
    await resolver.shutdown();
    assert.deepEqual(lists, [[], ['10.0.0.9:4317']]);
  });

  test('the system resolver (node:dns, hosts file included) resolves localhost', async () => {
    const addresses = await systemLookup('localhost');
    assert.ok(
      addresses.some((a) => a === '127.0.0.1' || a === '::1'),
      addresses.join(','),
    );
    const resolver = new DnsResolver({ hostname: 'localhost', port: 4317, interval: 60_000, timeout: 2000 }, silent);
    const { lists, onChange } = recorder();
    await resolver.start(onChange);
    await resolver.shutdown();
    assert.ok(
      lists[0].some((b) => b === '127.0.0.1:4317' || b === '[::1]:4317'),
      lists[0].join(','),
    );
  });
});
