import { addressGroup } from './webhook.ingress';

describe('addressGroup', () => {
  it('counts IPv4 addresses one by one, and IPv6 ones by their /64', () => {
    expect(addressGroup('203.0.113.7')).toBe('203.0.113.7');
    expect(addressGroup('::ffff:203.0.113.7')).toBe('203.0.113.7');
    expect(addressGroup('2001:db8:1:2:aaaa::1')).toBe('2001:db8:1:2::/64');
    expect(addressGroup('2001:db8:1:2:bbbb:cccc:dddd:eeee')).toBe('2001:db8:1:2::/64');
    expect(addressGroup('2001:db8::1:2:3:4:5')).toBe('2001:db8:0:1::/64');
    expect(addressGroup('2001:0DB8:0001:0002::%eth0')).toBe('2001:db8:1:2::/64');
    expect(addressGroup('::1')).toBe('0:0:0:0::/64');
    expect(addressGroup('64:ff9b::192.0.2.1')).toBe('64:ff9b:0:0::/64');
    expect(addressGroup(undefined)).toBe('unknown');
  });
});
