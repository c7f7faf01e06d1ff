import { celFunc, celMethod, CelScalar, objectType, type CelFunc } from "@bufbuild/cel";
import { create, createFileRegistry, type DescMessage, type Registry } from "@bufbuild/protobuf";
import { FieldDescriptorProto_Label, FieldDescriptorProto_Type, FileDescriptorProtoSchema } from "@bufbuild/protobuf/wkt";
import { compareQuantities, isQuantity, parseQuantity, type Quantity } from "../../lib/quantity";

/*
 * The Kubernetes CEL quantity library (k8s.io/apiserver/pkg/cel/library/quantity.go) for
 * @bufbuild/cel: `quantity(string)`, `isQuantity(string)` and the Quantity methods. Parsing
 * and comparison are lib/quantity.ts, the same code the stack config validates with, so a
 * quota means the same thing in config, at preview and in the cluster. Like Kubernetes,
 * the value is an opaque `kubernetes.Quantity`; here a one-field protobuf message holding
 * the exact value as a reduced fraction, so `==` compares by value too.
 *
 * Known difference: the API server rounds values finer than 1n up to 1n; lib/quantity.ts
 * keeps them exact. No rule compares quantities at that precision.
 */

/** The protobuf registry holding the `kubernetes.Quantity` type. */
export const QUANTITY_REGISTRY: Registry = createFileRegistry(
  create(FileDescriptorProtoSchema, {
    name: "kubernetes/quantity.proto",
    package: "kubernetes",
    syntax: "proto3",
    messageType: [
      {
        name: "Quantity",
        field: [{ name: "value", jsonName: "value", number: 1, type: FieldDescriptorProto_Type.STRING, label: FieldDescriptorProto_Label.OPTIONAL }],
      },
    ],
  }),
  () => undefined,
);

const DESC = QUANTITY_REGISTRY.getMessage("kubernetes.Quantity") as DescMessage;
const QUANTITY = objectType(DESC);
const INT64_MAX = 2n ** 63n - 1n;
const INT64_MIN = -(2n ** 63n);

const abs = (n: bigint) => (n < 0n ? -n : n);
function gcd(a: bigint, b: bigint): bigint {
  a = abs(a);
  b = abs(b);
  while (b !== 0n) [a, b] = [b, a % b];
  return a === 0n ? 1n : a;
}

function wrap(q: Quantity) {
  const g = gcd(q.num, q.den);
  return create(DESC, { value: `${q.num / g}/${q.den / g}` });
}

function unwrap(v: unknown): Quantity {
  const value = (v as { message: { value: string } }).message.value;
  const [num, den] = value.split("/");
  return { num: BigInt(num), den: BigInt(den) };
}

function plus(a: Quantity, b: Quantity, sign: 1n | -1n) {
  return wrap({ num: a.num * b.den + sign * b.num * a.den, den: a.den * b.den });
}

/** The library's functions and methods, to register in a CEL environment. */
export const QUANTITY_FUNCS: readonly CelFunc[] = [
  celFunc("quantity", [CelScalar.STRING], QUANTITY, (s) => wrap(parseQuantity(s))),
  celFunc("isQuantity", [CelScalar.STRING], CelScalar.BOOL, (s) => isQuantity(s)),
  celMethod("sign", QUANTITY, [], CelScalar.INT, function () {
    const q = unwrap(this);
    return q.num > 0n ? 1n : q.num < 0n ? -1n : 0n;
  }),
  celMethod("isInteger", QUANTITY, [], CelScalar.BOOL, function () {
    const q = unwrap(this);
    return q.num % q.den === 0n && q.num / q.den <= INT64_MAX && q.num / q.den >= INT64_MIN;
  }),
  celMethod("asInteger", QUANTITY, [], CelScalar.INT, function () {
    const q = unwrap(this);
    const n = q.num / q.den;
    if (q.num % q.den !== 0n || n > INT64_MAX || n < INT64_MIN) throw new Error("cannot convert value to integer");
    return n;
  }),
  celMethod("asApproximateFloat", QUANTITY, [], CelScalar.DOUBLE, function () {
    const q = unwrap(this);
    return Number(q.num) / Number(q.den);
  }),
  celMethod("add", QUANTITY, [QUANTITY], QUANTITY, function (o) {
    return plus(unwrap(this), unwrap(o), 1n);
  }),
  celMethod("add", QUANTITY, [CelScalar.INT], QUANTITY, function (o) {
    return plus(unwrap(this), { num: o, den: 1n }, 1n);
  }),
  celMethod("sub", QUANTITY, [QUANTITY], QUANTITY, function (o) {
    return plus(unwrap(this), unwrap(o), -1n);
  }),
  celMethod("sub", QUANTITY, [CelScalar.INT], QUANTITY, function (o) {
    return plus(unwrap(this), { num: o, den: 1n }, -1n);
  }),
  celMethod("isLessThan", QUANTITY, [QUANTITY], CelScalar.BOOL, function (o) {
    return compareQuantities(unwrap(this), unwrap(o)) < 0;
  }),
  celMethod("isGreaterThan", QUANTITY, [QUANTITY], CelScalar.BOOL, function (o) {
    return compareQuantities(unwrap(this), unwrap(o)) > 0;
  }),
  celMethod("compareTo", QUANTITY, [QUANTITY], CelScalar.INT, function (o) {
    return BigInt(compareQuantities(unwrap(this), unwrap(o)));
  }),
];
