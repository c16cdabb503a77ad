import { Controller, Get, Header, Inject, StreamableFile } from '@nestjs/common';
import { PrivateCa } from './private-ca';

/**
 * Public PKI material: the root CA certificate (what a resource service trusts) and the CRLs of both CAs, also
 * written as files under `<dataDir>/pki`.
 */
@Controller('pki')
export class PkiController {
  constructor(@Inject(PrivateCa) private readonly ca: PrivateCa) {}

  /** The root CA certificate, PEM. */
  @Get('root-ca.pem')
  @Header('Content-Type', 'application/x-pem-file')
  rootCertificate(): string {
    return this.ca.rootPem;
  }

  /** The root CA's CRL (covers the intermediate CA), DER. */
  @Get('root-ca.crl')
  @Header('Content-Type', 'application/pkix-crl')
  @Header('Cache-Control', 'public, max-age=60')
  rootCrl(): StreamableFile {
    return new StreamableFile(this.ca.rootCrlDer);
  }

  /** The intermediate CA's CRL (covers the token-signing certificates), DER. */
  @Get('intermediate-ca.crl')
  @Header('Content-Type', 'application/pkix-crl')
  @Header('Cache-Control', 'public, max-age=60')
  intermediateCrl(): StreamableFile {
    return new StreamableFile(this.ca.intermediateCrlDer);
  }
}
