// Compose `ports:` entries, short and long syntax, expanded to one PortSpec per port.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parsePort, sameHostPort } from '../../../src/manifests/ports.js';

const ports = (value: unknown) => {
  const result = parsePort(value);
  assert.ok(result.ok, result.ok ? '' : result.message);
  return result.ports;
};
const error = (value: unknown) => {
  const result = parsePort(value);
  assert.equal(result.ok, false, `${JSON.stringify(value)} should be refused`);
  return (result as { message: string }).message;
};

test('short syntax: container only, host:container, ip:host:container, ip::container', () => {
  assert.deepEqual(ports(80), [{ target: 80, protocol: 'tcp' }]);
  assert.deepEqual(ports('80'), [{ target: 80, protocol: 'tcp' }]);
  assert.deepEqual(ports('8080:80'), [{ target: 80, published: 8080, protocol: 'tcp' }]);
  assert.deepEqual(ports('127.0.0.1:8080:80'), [{ target: 80, published: 8080, protocol: 'tcp', hostIp: '127.0.0.1' }]);
  assert.deepEqual(ports('127.0.0.1::80'), [{ target: 80, protocol: 'tcp', hostIp: '127.0.0.1' }]);
});

test('a /udp or /tcp suffix sets the protocol; IPv6 addresses go in brackets', () => {
  assert.deepEqual(ports('53:53/udp'), [{ target: 53, published: 53, protocol: 'udp' }]);
  assert.deepEqual(ports('80/tcp'), [{ target: 80, protocol: 'tcp' }]);
  assert.deepEqual(ports('[::1]:8080:80/udp'), [{ target: 80, published: 8080, protocol: 'udp', hostIp: '::1' }]);
});

test('ranges expand to one port each, host and container ranges paired in order', () => {
  assert.deepEqual(ports('8000-8002:9000-9002'), [
    { target: 9000, published: 8000, protocol: 'tcp' },
    { target: 9001, published: 8001, protocol: 'tcp' },
    { target: 9002, published: 8002, protocol: 'tcp' },
  ]);
  assert.deepEqual(ports('7000-7001'), [{ target: 7000, protocol: 'tcp' }, { target: 7001, protocol: 'tcp' }]);
});

test('long syntax: target with optional published (number or string), protocol and host_ip', () => {
  assert.deepEqual(ports({ target: 80 }), [{ target: 80, protocol: 'tcp' }]);
  assert.deepEqual(ports({ target: 80, published: 8080, protocol: 'udp', host_ip: '10.0.0.1' }), [{ target: 80, published: 8080, protocol: 'udp', hostIp: '10.0.0.1' }]);
  assert.deepEqual(ports({ target: 80, published: '8080' }), [{ target: 80, published: 8080, protocol: 'tcp' }]);
  assert.deepEqual(ports({ target: 80, published: '' }), [{ target: 80, protocol: 'tcp' }]);
});

test('malformed ports are refused saying which part is wrong', () => {
  assert.match(error('80/sctp'), /unknown protocol "sctp"/);
  assert.match(error('70000:80'), /the host port "70000" is outside 1-65535/);
  assert.match(error('8080:0'), /the container port "0" is outside 1-65535/);
  assert.match(error('web:80'), /the host port "web" is not a number/);
  assert.match(error('8080:'), /the container port "" is empty/);
  assert.match(error('9-1:9-1'), /runs backwards/);
  assert.match(error('1-2000'), /range of more than 1000 ports/);
  assert.match(error('8000-8001:80-82'), /maps 2 host ports to 3 container ports/);
  assert.match(error('8000-8010:80'), /lets Docker pick any port of the range/);
  assert.match(error('a:b:c:d'), /too many ":"/);
  assert.match(error('[::1]:1:2:3'), /too many ":"/);
  assert.match(error('myhost:8080:80'), /invalid host address "myhost"/);
  assert.match(error(0), /container port must be 1-65535/);
  assert.match(error({ target: 80, published: '8000-8001' }), /a published range needs a matching target range/);
  assert.match(error({ target: 80, published: 'http' }), /published port "http" is not a number/);
});

test('two ports clash on a node when port and protocol match and either binds every address', () => {
  const [a] = ports('8080:80');
  const [b] = ports('127.0.0.1:8080:81');
  const [c] = ports('10.0.0.1:8080:81');
  const [d] = ports('8080:80/udp');
  const [e] = ports(80);
  assert.ok(a && b && c && d && e);
  assert.equal(sameHostPort(a, b), true);
  assert.equal(sameHostPort(b, c), false);
  assert.equal(sameHostPort(a, d), false);
  assert.equal(sameHostPort(e, e), false, 'an ephemeral port never clashes');
});
