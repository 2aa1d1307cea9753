import { describe, expect, it } from "vitest";
import { locationOf, parsePostgresUrl, redactUrl } from "../../src/destinations/postgres/url.js";
import { parseKind } from "../../src/project/destination.js";
import { copyField, keyPart, pgType } from "../../src/destinations/postgres/types.js";
import { toCanonical } from "../../src/destinations/postgres/values.js";
import { parseType } from "../../src/normalize/types.js";

describe("postgres:// URLs", () => {
  it("reads user, password, host, port, database and schema; fills the rest from PG* variables as psql does", () => {
    expect(parsePostgresUrl("postgres://etl:s%40cret@db.internal:6543/ware?schema=shop&sslmode=require", "--destination", undefined, {})).toEqual({
      connection: { host: "db.internal", port: 6543, database: "ware", user: "etl", password: "s@cret", ssl: { rejectUnauthorized: false } },
      schema: "shop",
    });
    const env = { PGHOST: "h", PGPORT: "7000", PGUSER: "u", PGDATABASE: "d", PGPASSWORD: "from-env" };
    expect(parsePostgresUrl("postgresql://", "x", undefined, env)).toEqual({ connection: { host: "h", port: 7000, database: "d", user: "u", password: "from-env", ssl: false }, schema: "public" });
    // The URL's password wins, then password_env's, then PGPASSWORD.
    expect(parsePostgresUrl("postgres://u@h/d", "x", "from-file", env).connection.password).toBe("from-file");
    expect(parsePostgresUrl("postgres://u:in-url@h/d", "x", "from-file", env).connection.password).toBe("in-url");
    expect(parsePostgresUrl("postgres://u@h/d", "x", undefined, {}).connection).not.toHaveProperty("password");
  });

  it("takes a Unix socket folder as ?host= and an IPv6 address in brackets, and shows them without the password", () => {
    const socket = parsePostgresUrl("postgres://u:pw@/d?host=/var/run/postgresql&port=5433", "x", undefined, {});
    expect(socket.connection).toMatchObject({ host: "/var/run/postgresql", port: 5433, database: "d", user: "u" });
    expect(locationOf(socket.connection, socket.schema)).toBe("postgres://u@/d?host=%2Fvar%2Frun%2Fpostgresql&port=5433&schema=public");
    const v6 = parsePostgresUrl("postgres://u:pw@[::1]:5432/d", "x", undefined, {});
    expect(v6.connection.host).toBe("::1");
    expect(locationOf(v6.connection, "s")).toBe("postgres://u@[::1]:5432/d?schema=s");
  });

  it("hides the password of any URL quoted in a message", () => {
    expect(redactUrl("postgres://u:hunter22@h/db?x=1")).toBe("postgres://u:***@h/db?x=1");
    expect(redactUrl("postgres://u@h/db")).toBe("postgres://u@h/db");
    for (const password of ["p@ss", "s3cr#et", "s3cr/et", "s3cr?et", "s3 cret", "s3%zzcret", "a@b/c?d#e"]) {
      const shown = redactUrl(`postgres://root:${password}@h:5432/db?schema=s`);
      expect(shown).toBe("postgres://root:***@h:5432/db?schema=s");
    }
    // A user name with @ (Azure's user@server) or a space, and mistyped schemes.
    expect(redactUrl("postgres://admin@srv:hunter22@h/db?x=1")).toBe("postgres://admin@srv:***@h/db?x=1");
    expect(redactUrl("postgres://us er:hunter22@h/db")).toBe("postgres://us er:***@h/db");
    for (const typo of ["postgres:/u:hunter22@h/db", "postgres:u:hunter22@h/db", "postgres//u:hunter22@h/db", "u:hunter22@h/db"]) {
      expect(redactUrl(typo)).not.toContain("hunter22");
    }
    // An unencoded @ then / in the password would otherwise make part of it the host, shown everywhere.
    expect(() => parsePostgresUrl("postgres://u:hun@ter22/x@h/db", "--destination", undefined, {})).toThrow(/password cannot be told apart: postgres:\/\/u:\*\*\*@h\/db/);
    expect(parsePostgresUrl("postgres://u@h:5432/db?user=me@corp", "x", undefined, {}).connection.user).toBe("me@corp");
    // debug's --destination refuses what is no kind and no URL, without repeating its password.
    expect(() => parseKind("postgres//u:hunter22@h/db")).toThrow(/must be "sqlite" or "duckdb"/);
    expect(() => parseKind("postgres//u:hunter22@h/db")).not.toThrow(/hunter22/);
  });
});

describe("values sent with COPY and read back", () => {
  it("writes each type in COPY's text form, escaping what COPY reads specially", () => {
    expect(copyField(parseType("BOOLEAN"))(1)).toBe("t");
    expect(copyField(parseType("BOOLEAN"))(0n)).toBe("f");
    expect(copyField(parseType("LONG"))(2n ** 63n - 1n)).toBe("9223372036854775807");
    expect(copyField(parseType("DOUBLE"))(-Infinity)).toBe("-Infinity");
    expect(copyField(parseType("BINARY"))(new Uint8Array([0, 255]) as Buffer)).toBe("\\\\x00ff");
    expect(copyField(parseType("STRING"))("a\\b\tc\nd\re")).toBe("a\\\\b\\tc\\nd\\re");
    expect(copyField(parseType("STRING"))(null)).toBe("\\N");
    expect(copyField(parseType("STRING"))("\\N")).toBe("\\\\N");
    expect(() => copyField(parseType("JSON"))('{"a":"\u0000"}')).toThrow(/NUL character/);
  });

  it("reads PostgreSQL's text back in the canonical stored form", () => {
    expect(toCanonical(parseType("UTC_DATETIME"), "2007-12-03 10:15:30.12+00")).toBe("2007-12-03T10:15:30.120Z");
    expect(toCanonical(parseType("UTC_DATETIME"), "2007-12-03 10:15:30+00")).toBe("2007-12-03T10:15:30.000Z");
    expect(toCanonical(parseType("UTC_DATETIME"), "2007-12-03 10:15:30.123456+00")).toBe("2007-12-03T10:15:30.123456Z");
    expect(toCanonical(parseType("NAIVE_DATETIME"), "2007-12-03 10:15:30")).toBe("2007-12-03T10:15:30");
    expect(toCanonical(parseType("NAIVE_DATETIME"), "2007-12-03 10:15:30.5")).toBe("2007-12-03T10:15:30.500");
    expect(toCanonical(parseType("LONG"), "9007199254740993")).toBe(9007199254740993n);
    expect(toCanonical(parseType("LONG"), "42")).toBe(42);
    expect(toCanonical(parseType("FLOAT"), 0.1)).toBe(Math.fround(0.1));
    expect(toCanonical(parseType("JSON"), '{"b": [1, 18446744073709551616], "a": "x"}')).toBe('{"b":[1,18446744073709551616],"a":"x"}');
    expect(toCanonical(parseType("BOOLEAN"), true)).toBe(1);
    expect(toCanonical(parseType("DECIMAL(10,2)"), "7.00")).toBe("7.00");
  });

  it("maps every logical type, and gives one key to texts PostgreSQL reads as one timestamp", () => {
    expect(pgType(parseType("DECIMAL(38,0)"))).toBe("numeric(38,0)");
    expect(pgType(parseType("XML"))).toBe("text");
    expect(pgType(null)).toBe("text");
    const utc = parseType("UTC_DATETIME");
    expect(keyPart(utc, "2024-01-01T00:00:00.5Z")).toBe(keyPart(utc, "2024-01-01T00:00:00.500000Z"));
    expect(keyPart(utc, "2024-01-01T00:00:00.5Z")).not.toBe(keyPart(utc, "2024-01-01T00:00:00.501Z"));
    expect(keyPart(parseType("BINARY"), Buffer.from([1]))).toBe(keyPart(parseType("BINARY"), new Uint8Array([1]) as Buffer));
  });
});
