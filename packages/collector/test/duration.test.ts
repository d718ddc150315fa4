import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseDuration, parseEndpoint } from '../src/config/values.js';

test('Go-style durations', () => {
  assert.equal(parseDuration('500ms'), 500);
  assert.equal(parseDuration('5s'), 5000);
  assert.equal(parseDuration('1m30s'), 90_000);
  assert.equal(parseDuration('2h'), 7_200_000);
  assert.equal(parseDuration('7d'), 604_800_000);
  assert.equal(parseDuration(250), 250);
  assert.equal(parseDuration('5'), undefined, 'a bare number string has no unit');
  assert.equal(parseDuration('5 parsecs'), undefined);
  assert.equal(parseDuration(''), undefined);
});

test('endpoints', () => {
  assert.deepEqual(parseEndpoint('localhost:4317'), { host: 'localhost', port: 4317 });
  assert.deepEqual(parseEndpoint(':4318'), { host: '0.0.0.0', port: 4318 });
  assert.deepEqual(parseEndpoint('[::1]:8711'), { host: '::1', port: 8711 });
  assert.match(String(parseEndpoint('localhost')), /expected host:port/);
  assert.match(String(parseEndpoint('localhost:70000')), /invalid port 70000/);
});
