import { hashSecret, isSecretHash, verifySecret } from './secret-hash';

describe('secret hashing', () => {
  it('hashes with a random salt and verifies only the right secret', async () => {
    const first = await hashSecret('correct horse');
    const second = await hashSecret('correct horse');
    expect(first).toMatch(/^scrypt\$16384\$8\$1\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{43}$/);
    expect(first).not.toBe(second);
    expect(first).not.toContain('correct horse');
    await expect(verifySecret('correct horse', first)).resolves.toBe(true);
    await expect(verifySecret('correct horse', second)).resolves.toBe(true);
    await expect(verifySecret('correct horsf', first)).resolves.toBe(false);
    await expect(verifySecret('', first)).resolves.toBe(false);
  });

  it('rejects malformed hashes and cost parameters that would be a resource bomb', async () => {
    const valid = await hashSecret('x');
    const parts = valid.split('$');
    const withCost = (n: string, r = parts[2], p = parts[3]) => [parts[0], n, r, p, parts[4], parts[5]].join('$');
    expect(isSecretHash(valid)).toBe(true);
    for (const bad of [
      '',
      'plaintext',
      valid.replace('scrypt', 'bcrypt'),
      withCost('16383'),
      withCost('4194304'),
      withCost('16384', '64'),
      withCost('512'),
    ]) {
      expect(isSecretHash(bad)).toBe(false);
      await expect(verifySecret('x', bad)).resolves.toBe(false);
    }
  });
});
