import { Inject, Injectable, OnModuleInit } from '@nestjs/common';
import { hashSecret, verifySecret } from '../crypto/secret-hash';
import { DIRECTORY } from '../identity.constants';
import { Directory, RegisteredClient, User } from './directory';

const MAX_SECRET_LENGTH = 1024;

/** Looks up users and clients from the seed and checks their credentials. */
@Injectable()
export class DirectoryService implements OnModuleInit {
  // Checked when the name is unknown, so a miss costs the same scrypt work as a wrong password.
  private decoyHash = '';

  constructor(@Inject(DIRECTORY) private readonly directory: Directory) {}

  /** Prepares the decoy hash used to equalize timing for unknown names. */
  async onModuleInit(): Promise<void> {
    this.decoyHash = await hashSecret('decoy-secret-never-matches');
  }

  /** The client registered as `clientId`, if any. */
  findClient(clientId: string): RegisteredClient | undefined {
    return this.directory.clients.get(clientId);
  }

  /** The user signed in as `username`, if any. */
  findUser(username: string): User | undefined {
    return this.directory.users.get(username);
  }

  /** The user whose subject is `sub`, if any (client_credentials tokens have a client as subject). */
  findUserBySub(sub: string): User | undefined {
    for (const user of this.directory.users.values()) if (user.sub === sub) return user;
    return undefined;
  }

  /** The user `username` when `password` is theirs; `undefined` otherwise, in roughly constant time. */
  async authenticateUser(username: string, password: string): Promise<User | undefined> {
    const user = this.directory.users.get(username);
    if (password.length > MAX_SECRET_LENGTH) return undefined;
    const isValid = await verifySecret(password, user?.passwordHash ?? this.decoyHash);
    return user && isValid ? user : undefined;
  }

  /** True when `secret` is the secret of the confidential client `client`. */
  async verifyClientSecret(client: RegisteredClient | undefined, secret: string): Promise<boolean> {
    if (secret.length > MAX_SECRET_LENGTH) return false;
    const isValid = await verifySecret(secret, client?.secretHash ?? this.decoyHash);
    return client?.secretHash !== undefined && isValid;
  }

  /** Every audience any client's tokens may carry. */
  allAudiences(): string[] {
    return [...new Set([...this.directory.clients.values()].flatMap((client) => client.audiences))].sort();
  }

  /** Every scope any client may request, for discovery. */
  allScopes(): string[] {
    return [...new Set([...this.directory.clients.values()].flatMap((client) => client.scopes))].sort();
  }
}
