/**
 * The etcd v3 API messages bramble uses (etcdserverpb, mvccpb), in the CRI
 * codec's table format (`src/agent/cri/proto/schema.ts`). Field numbers are
 * etcd's (`api/etcdserverpb/rpc.proto`, `api/mvccpb/kv.proto`; the v3.4
 * layout is the same). Keys and values are proto `bytes`, declared here as
 * `string`: bramble only ever writes UTF-8 keys and values, and the wire
 * format of the two is identical. Oneofs are plain optional fields.
 */
import { decode, encode } from '../../agent/cri/proto/codec.ts';
import { parseSchema, type Schema } from '../../agent/cri/proto/schema.ts';

export const etcdSchemaText = `
ResponseHeader
  clusterId 1 uint64s
  memberId 2 uint64s
  revision 3 int64
  raftTerm 4 uint64
KeyValue
  key 1 string
  createRevision 2 int64
  modRevision 3 int64
  version 4 int64
  value 5 string
  lease 6 int64
enum EventType PUT=0 DELETE=1
Event
  type 1 EventType
  kv 2 KeyValue
  prevKv 3 KeyValue
RangeRequest
  key 1 string
  rangeEnd 2 string
  limit 3 int64
  revision 4 int64
  serializable 7 bool
  keysOnly 8 bool
  countOnly 9 bool
RangeResponse
  header 1 ResponseHeader
  kvs 2 []KeyValue
  more 3 bool
  count 4 int64
PutRequest
  key 1 string
  value 2 string
  lease 3 int64
  prevKv 4 bool
PutResponse
  header 1 ResponseHeader
  prevKv 2 KeyValue
DeleteRangeRequest
  key 1 string
  rangeEnd 2 string
  prevKv 3 bool
DeleteRangeResponse
  header 1 ResponseHeader
  deleted 2 int64
  prevKvs 3 []KeyValue
RequestOp
  requestRange 1 RangeRequest
  requestPut 2 PutRequest
  requestDeleteRange 3 DeleteRangeRequest
ResponseOp
  responseRange 1 RangeResponse
  responsePut 2 PutResponse
  responseDeleteRange 3 DeleteRangeResponse
enum CompareResult EQUAL=0 GREATER=1 LESS=2
enum CompareTarget VERSION=0 CREATE=1 MOD=2 VALUE=3
Compare
  result 1 CompareResult
  target 2 CompareTarget
  key 3 string
  version 4 int64
  createRevision 5 int64
  modRevision 6 int64
  value 7 string
TxnRequest
  compare 1 []Compare
  success 2 []RequestOp
  failure 3 []RequestOp
TxnResponse
  header 1 ResponseHeader
  succeeded 2 bool
  responses 3 []ResponseOp
CompactionRequest
  revision 1 int64
  physical 2 bool
CompactionResponse
  header 1 ResponseHeader
WatchCreateRequest
  key 1 string
  rangeEnd 2 string
  startRevision 3 int64
  progressNotify 4 bool
  prevKv 6 bool
  watchId 7 int64
  fragment 8 bool
WatchCancelRequest
  watchId 1 int64
WatchProgressRequest
WatchRequest
  createRequest 1 WatchCreateRequest
  cancelRequest 2 WatchCancelRequest
  progressRequest 3 WatchProgressRequest
WatchResponse
  header 1 ResponseHeader
  watchId 2 int64
  created 3 bool
  canceled 4 bool
  compactRevision 5 int64
  cancelReason 6 string
  fragment 7 bool
  events 11 []Event
Member
  id 1 uint64s
  name 2 string
  peerURLs 3 []string
  clientURLs 4 []string
  isLearner 5 bool
MemberAddRequest
  peerURLs 1 []string
  isLearner 2 bool
MemberAddResponse
  header 1 ResponseHeader
  member 2 Member
  members 3 []Member
MemberRemoveRequest
  id 1 uint64s
MemberRemoveResponse
  header 1 ResponseHeader
  members 2 []Member
MemberListRequest
  linearizable 1 bool
MemberListResponse
  header 1 ResponseHeader
  members 2 []Member
StatusRequest
StatusResponse
  header 1 ResponseHeader
  version 2 string
  dbSize 3 int64
  leader 4 uint64s
  raftIndex 5 uint64
  raftTerm 6 uint64
`;

export interface PbHeader {
  clusterId: string;
  memberId: string;
  revision: number;
  raftTerm: number;
}
export interface PbKeyValue {
  key: string;
  createRevision: number;
  modRevision: number;
  version: number;
  value: string;
  lease: number;
}
export interface PbEvent {
  type: 'PUT' | 'DELETE';
  kv?: PbKeyValue;
  prevKv?: PbKeyValue;
}
export interface PbRangeResponse {
  header?: PbHeader;
  kvs: PbKeyValue[];
  more: boolean;
  count: number;
}
export interface PbPutResponse {
  header?: PbHeader;
  prevKv?: PbKeyValue;
}
export interface PbDeleteRangeResponse {
  header?: PbHeader;
  deleted: number;
  prevKvs: PbKeyValue[];
}
export interface PbTxnResponse {
  header?: PbHeader;
  succeeded: boolean;
  responses: { responseRange?: PbRangeResponse; responsePut?: PbPutResponse; responseDeleteRange?: PbDeleteRangeResponse }[];
}
export interface PbWatchResponse {
  header?: PbHeader;
  watchId: number;
  created: boolean;
  canceled: boolean;
  compactRevision: number;
  cancelReason: string;
  fragment: boolean;
  events: PbEvent[];
}
export interface PbMember {
  id: string;
  name: string;
  peerURLs: string[];
  clientURLs: string[];
  isLearner: boolean;
}
export interface PbMemberAddResponse {
  header?: PbHeader;
  member?: PbMember;
  members: PbMember[];
}
export interface PbMemberListResponse {
  header?: PbHeader;
  members: PbMember[];
}
export interface PbStatusResponse {
  header?: PbHeader;
  version: string;
  dbSize: number;
  leader: string;
  raftIndex: number;
  raftTerm: number;
}

/** gRPC method paths. */
export const methods = {
  range: '/etcdserverpb.KV/Range',
  txn: '/etcdserverpb.KV/Txn',
  compact: '/etcdserverpb.KV/Compact',
  watch: '/etcdserverpb.Watch/Watch',
  memberAdd: '/etcdserverpb.Cluster/MemberAdd',
  memberRemove: '/etcdserverpb.Cluster/MemberRemove',
  memberList: '/etcdserverpb.Cluster/MemberList',
  status: '/etcdserverpb.Maintenance/Status',
} as const;

let cached: Schema | undefined;

export function etcdSchema(): Schema {
  return (cached ??= parseSchema(etcdSchemaText));
}

export function encodeEtcd(type: string, value: object): Uint8Array {
  return encode(etcdSchema(), type, value);
}

export function decodeEtcd<T>(type: string, bytes: Uint8Array): T {
  return decode<T>(etcdSchema(), type, bytes);
}
