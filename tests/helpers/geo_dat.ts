/**
 * V2Ray's geo data messages for tests, described with @bufbuild/protobuf's reflection runtime
 * (the production reader in lib/geo uses only its wire layer): .dat files written here come from
 * an independent implementation of config.proto, and ours are checked against it.
 */
import {
  create,
  createFileRegistry,
  type DescMessage,
  fromBinary,
  toBinary,
} from "@bufbuild/protobuf";
import {
  FieldDescriptorProto_Label as Label,
  FieldDescriptorProto_Type as Type,
  FileDescriptorProtoSchema,
} from "@bufbuild/protobuf/wkt";

const PACKAGE = "v2ray.core.app.router";

function field(
  name: string,
  number: number,
  type: Type,
  options: { typeName?: string; repeated?: boolean; oneof?: number } = {},
) {
  return {
    name,
    jsonName: name.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase()),
    number,
    type,
    typeName: options.typeName ? `.${PACKAGE}.${options.typeName}` : undefined,
    label: options.repeated ? Label.REPEATED : Label.OPTIONAL,
    oneofIndex: options.oneof,
  };
}

// As in V2Ray's app/router/config.proto (GeoIP.reverse_match from later versions).
const FILE = create(FileDescriptorProtoSchema, {
  name: "v2ray/app/router/config_test.proto",
  package: PACKAGE,
  syntax: "proto3",
  messageType: [
    {
      name: "Domain",
      field: [
        field("type", 1, Type.ENUM, { typeName: "Domain.Type" }),
        field("value", 2, Type.STRING),
        field("attribute", 3, Type.MESSAGE, { typeName: "Domain.Attribute", repeated: true }),
      ],
      nestedType: [{
        name: "Attribute",
        field: [
          field("key", 1, Type.STRING),
          field("bool_value", 2, Type.BOOL, { oneof: 0 }),
          field("int_value", 3, Type.INT64, { oneof: 0 }),
        ],
        oneofDecl: [{ name: "typed_value" }],
      }],
      enumType: [{
        name: "Type",
        value: [
          { name: "Plain", number: 0 },
          { name: "Regex", number: 1 },
          { name: "Domain", number: 2 },
          { name: "Full", number: 3 },
        ],
      }],
    },
    { name: "CIDR", field: [field("ip", 1, Type.BYTES), field("prefix", 2, Type.UINT32)] },
    {
      name: "GeoIP",
      field: [
        field("country_code", 1, Type.STRING),
        field("cidr", 2, Type.MESSAGE, { typeName: "CIDR", repeated: true }),
        field("reverse_match", 3, Type.BOOL),
      ],
    },
    {
      name: "GeoIPList",
      field: [field("entry", 1, Type.MESSAGE, { typeName: "GeoIP", repeated: true })],
    },
    {
      name: "GeoSite",
      field: [
        field("country_code", 1, Type.STRING),
        field("domain", 2, Type.MESSAGE, { typeName: "Domain", repeated: true }),
      ],
    },
    {
      name: "GeoSiteList",
      field: [field("entry", 1, Type.MESSAGE, { typeName: "GeoSite", repeated: true })],
    },
  ],
});

const REGISTRY = createFileRegistry(FILE, () => undefined);

function message(name: string): DescMessage {
  const m = REGISTRY.getMessage(`${PACKAGE}.${name}`);
  if (!m) throw new Error(`no message ${name}`);
  return m;
}

const GeoIPList = message("GeoIPList");
const GeoSiteList = message("GeoSiteList");

/** Domain.Type by name. */
export const DOMAIN_TYPE = { plain: 0, regex: 1, domain: 2, full: 3 } as const;

/** A GeoIP tag as plain data. */
export interface TestGeoIp {
  code: string;
  cidrs: { ip: Uint8Array; prefix: number }[];
  reverseMatch?: boolean;
}

/** A GeoSite list as plain data. */
export interface TestGeoSite {
  code: string;
  domains: {
    type: keyof typeof DOMAIN_TYPE;
    value: string;
    attrs?: (string | [string, bigint])[];
  }[];
}

/** A geoip.dat holding `entries`, written by the reflection runtime. */
export function geoIpDat(entries: TestGeoIp[]): Uint8Array {
  return toBinary(
    GeoIPList,
    create(GeoIPList, {
      entry: entries.map((e) => ({
        countryCode: e.code,
        cidr: e.cidrs,
        reverseMatch: e.reverseMatch ?? false,
      })),
    }),
  );
}

/** A geosite.dat holding `entries`, written by the reflection runtime. */
export function geoSiteDat(entries: TestGeoSite[]): Uint8Array {
  return toBinary(
    GeoSiteList,
    create(GeoSiteList, {
      entry: entries.map((e) => ({
        countryCode: e.code,
        domain: e.domains.map((d) => ({
          type: DOMAIN_TYPE[d.type],
          value: d.value,
          attribute: (d.attrs ?? []).map((a) =>
            typeof a === "string"
              ? { key: a, typedValue: { case: "boolValue", value: true } }
              : { key: a[0], typedValue: { case: "intValue", value: a[1] } }
          ),
        })),
      })),
    }),
  );
}

/** The country codes in a geoip.dat, read by the reflection runtime. */
export function geoIpCodes(dat: Uint8Array): string[] {
  const list = fromBinary(GeoIPList, dat) as unknown as { entry: { countryCode: string }[] };
  return list.entry.map((e) => e.countryCode);
}

/** A geosite.dat decoded by the reflection runtime, as plain data. */
export function readSiteDat(
  dat: Uint8Array,
): { code: string; values: string[]; attrs: string[][] }[] {
  const list = fromBinary(GeoSiteList, dat) as unknown as {
    entry: { countryCode: string; domain: { value: string; attribute: { key: string }[] }[] }[];
  };
  return list.entry.map((e) => ({
    code: e.countryCode,
    values: e.domain.map((d) => d.value),
    attrs: e.domain.map((d) => d.attribute.map((a) => a.key)),
  }));
}

/** A temporary asset directory holding `files` (name → bytes); removed by the returned dispose. */
export async function assetDir(
  files: Record<string, Uint8Array>,
): Promise<{ dir: string } & AsyncDisposable> {
  const dir = await Deno.makeTempDir({ prefix: "denoray-assets-" });
  for (const [name, bytes] of Object.entries(files)) await Deno.writeFile(`${dir}/${name}`, bytes);
  return {
    dir,
    async [Symbol.asyncDispose]() {
      await Deno.remove(dir, { recursive: true });
    },
  };
}
