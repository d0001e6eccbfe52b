import { describe, expect, it } from 'vitest'
import { classifyAddress, isLocalhostName, type AddressClass } from '#server/utils/address-class'

/** The host WHATWG URL hands the guard for a receiver URL, classified: what registration and delivery see. */
const classOfUrl = (url: string): AddressClass => classifyAddress(new URL(url).hostname).kind

describe('classifyAddress', () => {
  it.each<[string, AddressClass]>([
    ['127.0.0.1', 'loopback'],
    ['127.255.255.254', 'loopback'],
    ['::1', 'loopback'],
    ['[::1]', 'loopback'],
    ['0.0.0.0', 'unspecified'],
    ['0.1.2.3', 'unspecified'],
    ['::', 'unspecified'],
    ['10.0.0.1', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.1.1', 'private'],
    ['fc00::1', 'private'],
    ['fd12:3456:789a::1', 'private'],
    ['fec0::1', 'private'],
    ['64:ff9b:1::a00:1', 'private'],
    ['169.254.169.254', 'link-local'],
    ['fe80::1', 'link-local'],
    ['fe80::1%eth0', 'link-local'],
    ['febf::1', 'link-local'],
    ['100.64.0.1', 'shared'],
    ['100.127.255.255', 'shared'],
    ['224.0.0.1', 'multicast'],
    ['239.255.255.250', 'multicast'],
    ['ff02::1', 'multicast'],
    ['255.255.255.255', 'broadcast'],
    ['240.0.0.1', 'reserved'],
    ['192.0.0.8', 'reserved'],
    ['192.0.2.1', 'reserved'],
    ['198.18.0.1', 'reserved'],
    ['198.51.100.1', 'reserved'],
    ['203.0.113.9', 'reserved'],
    ['192.88.99.1', 'reserved'],
    ['2001:db8::1', 'reserved'],
    ['2001::1', 'reserved'], // Teredo
    ['3fff::1', 'reserved'],
    ['100::1', 'reserved'], // discard-only
    ['::7f00:1', 'reserved'], // IPv4-compatible, deprecated
    ['5f00::1', 'reserved'],
    // IPv4 inside IPv6 is judged by the IPv4 address the packets go to.
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:7f00:1', 'loopback'],
    ['::FFFF:7F00:1', 'loopback'],
    ['::ffff:169.254.169.254', 'link-local'],
    ['::ffff:a9fe:a9fe', 'link-local'],
    ['::ffff:0.0.0.0', 'unspecified'],
    ['0:0:0:0:0:ffff:c0a8:101', 'private'],
    ['64:ff9b::127.0.0.1', 'loopback'],
    ['64:ff9b::a00:1', 'private'],
    ['64:ff9b::808:808', 'public'],
    ['2002:7f00:1::1', 'loopback'],
    ['2002:c0a8:101::', 'private'],
    ['2002:0808:0808::1', 'public'],
    // Public unicast.
    ['8.8.8.8', 'public'],
    ['93.184.215.14', 'public'],
    ['172.32.0.1', 'public'],
    ['100.128.0.1', 'public'],
    ['169.255.0.1', 'public'],
    ['2606:4700:4700::1111', 'public'],
    ['2a00:1450:4001:80b::200e', 'public'],
    // Not IP literals (URL turns the odd IPv4 spellings into dotted quads before we see them).
    ['localhost', 'invalid'],
    ['127.1', 'invalid'],
    ['0x7f000001', 'invalid'],
    ['', 'invalid'],
  ])('%s is %s', (address, kind) => {
    expect(classifyAddress(address).kind).toBe(kind)
  })

  it('names the IPv4 address inside the mapped, NAT64 and 6to4 forms', () => {
    expect(classifyAddress('::ffff:7f00:1')).toEqual({ address: '::ffff:7f00:1', family: 6, kind: 'loopback', embeddedIpv4: '127.0.0.1' })
    expect(classifyAddress('64:ff9b::a00:1').embeddedIpv4).toBe('10.0.0.1')
    expect(classifyAddress('2002:c0a8:101::').embeddedIpv4).toBe('192.168.1.1')
    expect(classifyAddress('fe80::1').embeddedIpv4).toBeUndefined()
  })
})

describe('receiver URL spellings, as WHATWG URL normalises them', () => {
  it.each<[string, AddressClass]>([
    ['http://127.0.0.1/', 'loopback'],
    ['http://2130706433/', 'loopback'],
    ['http://0x7f000001/', 'loopback'],
    ['http://0x7f.1/', 'loopback'],
    ['http://0177.0.0.1/', 'loopback'],
    ['http://127.1/', 'loopback'],
    ['http://127.0.0.1./', 'loopback'],
    ['http://%31%32%37.0.0.1/', 'loopback'],
    ['http://good@127.0.0.1/', 'loopback'],
    ['http://[::1]/', 'loopback'],
    ['http://[::ffff:127.0.0.1]/', 'loopback'],
    ['http://[::ffff:7f00:1]/', 'loopback'],
    ['http://[64:ff9b::127.0.0.1]/', 'loopback'],
    ['http://[2002:7f00:1::]/', 'loopback'],
    ['HTTP://[0:0:0:0:0:0:0:1]:8080/', 'loopback'],
    ['http://0/', 'unspecified'],
    ['http://0.0.0.0/', 'unspecified'],
    ['http://[::]/', 'unspecified'],
    ['http://169.254.169.254/latest/meta-data/', 'link-local'],
    ['http://2852039166/', 'link-local'],
    ['http://[fe80::1]/', 'link-local'],
    ['http://10.1.2.3/', 'private'],
    ['http://012.1.2.3/', 'private'],
    ['http://172.16.0.1/', 'private'],
    ['http://192.168.0.1/', 'private'],
    ['http://[fd00::1]/', 'private'],
    ['http://100.64.0.1/', 'shared'],
    ['http://224.0.0.1/', 'multicast'],
    ['http://255.255.255.255/', 'broadcast'],
    ['https://8.8.8.8/hook', 'public'],
  ])('%s → %s', (url, kind) => {
    expect(classOfUrl(url)).toBe(kind)
  })
})

describe('isLocalhostName', () => {
  it.each(['localhost', 'LOCALHOST', 'localhost.', 'api.localhost', 'x.localhost.', 'localhost.localdomain'])('%s names this machine', (name) => {
    expect(isLocalhostName(name)).toBe(true)
  })
  it.each(['localhost.example.com', 'mylocalhost', 'example.com'])('%s does not', (name) => {
    expect(isLocalhostName(name)).toBe(false)
  })
})
