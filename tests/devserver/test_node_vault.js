'use strict';
// Drives scripts/vault-dev-server with node-vault (npm, pinned in package.json), a second
// client written independently of vaultshim and of hvac. Every assertion is what real
// Vault answers (the shared reference vault-http-api.md, Vault source and api-docs);
// a failure here is a difference between the dev server and Vault, not a test to relax.
//
// Run through tests/devserver/run-node-vault, which installs node-vault (npm ci), starts
// the dev server and passes VDS_ADDR (its URL) and VDS_TOKEN_FILE (the root token file).
//
// Tokens are never printed: token comparisons use assert.ok(a === b, 'description'), and
// every error node-vault raises is rebuilt (scrub(), used by client()) so that a failure
// report shows the HTTP status and the Vault error body, never request headers.
//
// Tests named "[DEV-SERVER BUG] …" (near the end) fail against the dev server as it is:
// they record differences from Vault that the server must fix, with their sources.

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');

// node-vault falls back to these when its config leaves them out; none may leak in.
for (const k of ['VAULT_ADDR', 'VAULT_TOKEN', 'VAULT_NAMESPACE', 'VAULT_PREFIX',
    'VAULT_SKIP_VERIFY']) {
    delete process.env[k];
}
const nodeVault = require('node-vault');

const ADDR = process.env.VDS_ADDR;
const TOKEN_FILE = process.env.VDS_TOKEN_FILE;
if (!ADDR || !TOKEN_FILE) {
    throw new Error('VDS_ADDR and VDS_TOKEN_FILE must be set: run tests/devserver/run-node-vault');
}
const ROOT_TOKEN = fs.readFileSync(TOKEN_FILE, 'utf8').trim();

const RFC3339 = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const INVALID_PATH_WARNING = 'Invalid path for a versioned K/V secrets engine';

class VaultHTTPError extends Error {}

// Rebuilds a rejected node-vault call as an error that carries only what a Vault user
// looks at: message, status and body (never the request, whose headers hold the token).
function scrub(err) {
    if (err && err.response && typeof err.response.statusCode === 'number') {
        const e = new VaultHTTPError(`HTTP ${err.response.statusCode}: ${err.message}`);
        e.response = { statusCode: err.response.statusCode, body: err.response.body };
        e.vaultMessage = err.message;
        return e;
    }
    const name = (err && err.name) || 'Error';
    const code = err && err.code ? ` (${err.code})` : '';
    return new Error(`${name}${code}: ${err && err.message}`);
}

// A node-vault client whose methods reject only with scrubbed errors. `raw` is the
// node-vault object itself, for its properties (token).
function client(token, extra = {}) {
    const raw = nodeVault({ endpoint: ADDR, token, apiVersion: 'v1', debug: () => {}, ...extra });
    const wrapped = new Proxy(raw, {
        get(target, prop) {
            const v = target[prop];
            if (typeof v !== 'function' || prop === 'on' || prop === 'emit') return v;
            return (...args) => {
                let p;
                try {
                    p = v.apply(target, args);
                } catch (err) {
                    return Promise.reject(scrub(err));
                }
                return Promise.resolve(p).catch((err) => { throw scrub(err); });
            };
        },
    });
    return wrapped;
}

// Awaits a call that must fail with `status`; returns the scrubbed error.
async function rejects(promise, status, what) {
    let err;
    try {
        await promise;
    } catch (e) {
        err = e;
    }
    assert.ok(err, `${what}: expected HTTP ${status}, but the call succeeded`);
    assert.ok(err instanceof VaultHTTPError,
        `${what}: expected HTTP ${status}, got ${err.message}`);
    assert.equal(err.response.statusCode, status, `${what}: status`);
    return err;
}

const root = client(ROOT_TOKEN);

function assertSuccessEnvelope(body, what) {
    assert.equal(typeof body.request_id, 'string', `${what}: request_id`);
    assert.match(body.request_id, UUID, `${what}: request_id is a UUID`);
    assert.equal(body.lease_id, '', `${what}: lease_id`);
    assert.equal(body.renewable, false, `${what}: renewable`);
    assert.equal(body.wrap_info, null, `${what}: wrap_info`);
    assert.equal(body.auth, null, `${what}: auth`);
}

// ---------------------------------------------------------------------------

test('health(): an initialised, unsealed, active dev server', async () => {
    const h = await root.health();
    assert.equal(h.initialized, true);
    assert.equal(h.sealed, false);
    assert.equal(h.standby, false);
    assert.equal(h.performance_standby, false);
    assert.equal(typeof h.version, 'string');
    assert.match(h.version, /^\d+\.\d+\.\d+/);
    assert.ok(Number.isInteger(h.server_time_utc), 'server_time_utc is an integer');
    assert.ok(Math.abs(h.server_time_utc - Date.now() / 1000) < 60, 'server_time_utc is now');
    assert.equal(typeof h.cluster_name, 'string');
    assert.equal(typeof h.cluster_id, 'string');
    assert.equal(h.replication_dr_mode, 'disabled');
    assert.equal(h.replication_performance_mode, 'disabled');
    // the query parameters node-vault knows are accepted
    const ok = await root.health({ standbyok: true });
    assert.equal(ok.sealed, false);
    // sys/health needs no token
    const anon = await client(undefined).health();
    assert.equal(anon.initialized, true);
});

test('status(): sys/seal-status of a dev server (one unseal key)', async () => {
    const s = await client(undefined).status();
    assert.equal(s.sealed, false);
    assert.equal(s.initialized, true);
    assert.equal(s.type, 'shamir');
    assert.equal(s.t, 1);
    assert.equal(s.n, 1);
    assert.equal(s.progress, 0);
    assert.equal(typeof s.version, 'string');
});

test('tokenLookupSelf() with the root token', async () => {
    const r = await root.tokenLookupSelf();
    const d = r.data;
    assert.deepEqual(d.policies, ['root']);
    assert.equal(d.ttl, 0);
    assert.equal(d.expire_time, null);
    assert.equal(d.path, 'auth/token/root');
    assert.equal(d.type, 'service');
    assert.equal(d.orphan, true);
    assert.equal(d.creation_ttl, 0);
    assert.equal(d.display_name, 'root');
    assert.equal(d.meta, null);
    assert.equal(d.entity_id, '');
    assert.equal(d.num_uses, 0);
    assert.equal(d.explicit_max_ttl, 0);
    assert.ok(d.id === ROOT_TOKEN, 'lookup-self id is the root token');
    assert.equal(typeof d.accessor, 'string');
    assert.ok(d.accessor.length > 0, 'accessor is set');
    assert.ok(Number.isInteger(d.creation_time), 'creation_time is unix seconds');
});

test('no token or a bad token: 403 permission denied', async () => {
    let err = await rejects(client(undefined).read('secret/data/nv/anything'), 403, 'no token');
    assert.ok(err.response.body.errors[0].includes('permission denied'), 'no token: message');
    err = await rejects(client('hvs.not-a-real-token').tokenLookupSelf(), 403, 'bad token');
    assert.ok(err.response.body.errors[0].includes('permission denied'), 'bad token: message');
});

test('KV v2: write(secret/data/…) and read(secret/data/…)', async () => {
    const v1 = { user: 'svc-node', pw: 'pw-one' };
    const w = await root.write('secret/data/nv/rw', { data: v1 });
    assertSuccessEnvelope(w, 'write');
    assert.equal(w.data.version, 1);
    assert.match(w.data.created_time, RFC3339);
    assert.equal(w.data.deletion_time, '');
    assert.equal(w.data.destroyed, false);
    assert.equal(w.data.custom_metadata, null);

    const r = await root.read('secret/data/nv/rw');
    assertSuccessEnvelope(r, 'read');
    assert.equal(r.lease_duration, 0);
    assert.deepEqual(r.data.data, v1);
    assert.equal(r.data.metadata.version, 1);
    assert.equal(r.data.metadata.created_time, w.data.created_time);
    assert.equal(r.data.metadata.deletion_time, '');
    assert.equal(r.data.metadata.destroyed, false);

    // a key that was never written: 404 {"errors":[]}
    const err = await rejects(root.read('secret/data/nv/never-written'), 404, 'missing key');
    assert.deepEqual(err.response.body, { errors: [] });
    assert.equal(err.vaultMessage, 'Status 404');
});

test('KV v2: versions, ?version=N and check-and-set', async () => {
    const v1 = { n: 'one' };
    const v2 = { n: 'two' };
    assert.equal((await root.write('secret/data/nv/ver', { data: v1 })).data.version, 1);
    const w2 = await root.write('secret/data/nv/ver', { options: { cas: 1 }, data: v2 });
    assert.equal(w2.data.version, 2);

    const latest = await root.read('secret/data/nv/ver');
    assert.deepEqual(latest.data.data, v2);
    assert.equal(latest.data.metadata.version, 2);
    const first = await root.read('secret/data/nv/ver?version=1');
    assert.deepEqual(first.data.data, v1);
    assert.equal(first.data.metadata.version, 1);
    const zero = await root.read('secret/data/nv/ver?version=0'); // 0 means latest
    assert.equal(zero.data.metadata.version, 2);

    let err = await rejects(root.read('secret/data/nv/ver?version=7'), 404, 'unknown version');
    assert.deepEqual(err.response.body, { errors: [] });

    err = await rejects(root.write('secret/data/nv/ver', { options: { cas: 1 }, data: v1 }), 400,
        'stale cas');
    assert.ok(err.response.body.errors.some(
        (m) => m.includes('check-and-set parameter did not match the current version')),
    'stale cas: message');
    err = await rejects(root.write('secret/data/nv/ver', { options: { cas: 0 }, data: v1 }), 400,
        'cas 0 on an existing key');
    assert.equal((await root.read('secret/data/nv/ver')).data.metadata.version, 2,
        'a refused write makes no version');
});

test('KV v2: update() is a JSON merge PATCH', async () => {
    await root.write('secret/data/nv/patch', { data: { a: '1', b: '2' } });
    const p = await root.update('secret/data/nv/patch', { data: { b: '3', c: '4' } });
    assert.equal(p.data.version, 2);
    const r = await root.read('secret/data/nv/patch');
    assert.deepEqual(r.data.data, { a: '1', b: '3', c: '4' });
    // PATCH of a key that does not exist: 404
    await rejects(root.update('secret/data/nv/patch-missing', { data: { a: '1' } }), 404,
        'patch of a missing key');
});

test('KV v2: delete() of the latest version, then 404 with the metadata body', async () => {
    await root.write('secret/data/nv/del', { data: { v: 'first' } });
    await root.write('secret/data/nv/del', { data: { v: 'second' } });
    const d = await root.delete('secret/data/nv/del');
    assert.equal(d, '', 'delete answers 204 with no body');

    const err = await rejects(root.read('secret/data/nv/del'), 404, 'read of the deleted version');
    const body = err.response.body;
    // Vault: a full envelope, no "errors" key (path_data.go, logical.RespondWithStatusCode)
    assert.equal(Object.prototype.hasOwnProperty.call(body, 'errors'), false, 'no errors key');
    assert.equal(err.vaultMessage, 'Status 404');
    assert.equal(typeof body.request_id, 'string');
    assert.equal(body.data.data, null);
    assert.equal(body.data.metadata.version, 2);
    assert.match(body.data.metadata.deletion_time, RFC3339);
    assert.equal(body.data.metadata.destroyed, false);

    // the older version is still there
    const old = await root.read('secret/data/nv/del?version=1');
    assert.deepEqual(old.data.data, { v: 'first' });

    // undelete brings version 2 back
    assert.equal(await root.write('secret/undelete/nv/del', { versions: [2] }), '');
    const back = await root.read('secret/data/nv/del');
    assert.deepEqual(back.data.data, { v: 'second' });
    assert.equal(back.data.metadata.deletion_time, '');

    // destroySecretVersions(): 404 with destroyed:true and an empty deletion_time
    assert.equal(await root.destroySecretVersions({ path: 'nv/del', versions: [1] }), '');
    const gone = await rejects(root.read('secret/data/nv/del?version=1'), 404, 'destroyed');
    assert.equal(gone.response.body.data.data, null);
    assert.equal(gone.response.body.data.metadata.destroyed, true);
    assert.equal(gone.response.body.data.metadata.deletion_time, '');
    assert.equal(gone.response.body.data.metadata.version, 1);
});

test('KV v2: metadata read, list() with LIST and with ?list=1, delete of metadata', async () => {
    await root.write('secret/data/nv/meta/app', { data: { k: '1' } });
    await root.write('secret/data/nv/meta/app', { data: { k: '2' } });
    await root.write('secret/data/nv/meta/dir/leaf', { data: { k: 'leaf' } });

    const m = await root.read('secret/metadata/nv/meta/app');
    const d = m.data;
    assert.equal(d.current_version, 2);
    assert.equal(d.oldest_version, 0);
    assert.equal(d.max_versions, 0);
    assert.equal(d.cas_required, false);
    assert.equal(d.delete_version_after, '0s');
    assert.equal(d.custom_metadata, null);
    assert.match(d.created_time, RFC3339);
    assert.match(d.updated_time, RFC3339);
    assert.deepEqual(Object.keys(d.versions).sort(), ['1', '2']);
    for (const v of Object.values(d.versions)) {
        assert.match(v.created_time, RFC3339);
        assert.equal(v.deletion_time, '');
        assert.equal(v.destroyed, false);
    }

    const l = await root.list('secret/metadata/nv/meta/');
    assert.deepEqual(l.data.keys, ['app', 'dir/']);
    // without the trailing slash too (Vault appends one to a list request)
    assert.deepEqual((await root.list('secret/metadata/nv/meta')).data.keys, ['app', 'dir/']);
    // the root of the mount
    assert.ok((await root.list('secret/metadata/')).data.keys.includes('nv/'), 'root list');
    // noCustomHTTPVerbs: GET ?list=1
    const getList = client(ROOT_TOKEN, { noCustomHTTPVerbs: true });
    assert.deepEqual((await getList.list('secret/metadata/nv/meta/')).data.keys, ['app', 'dir/']);

    // an empty folder: 404 {"errors":[]}
    const err = await rejects(root.list('secret/metadata/nv/no-such-folder/'), 404, 'empty list');
    assert.deepEqual(err.response.body, { errors: [] });

    // deleting the metadata removes the key and every version
    assert.equal(await root.delete('secret/metadata/nv/meta/dir/leaf'), '');
    assert.deepEqual((await root.list('secret/metadata/nv/meta/')).data.keys, ['app']);
    await rejects(root.read('secret/metadata/nv/meta/dir/leaf'), 404, 'deleted metadata');
    await rejects(root.read('secret/data/nv/meta/dir/leaf'), 404, 'data of deleted metadata');
});

test('KV v2: a path without data/ is 404 with the "Invalid path" warning', async () => {
    await root.write('secret/data/nv/wrongpath', { data: { k: 'v' } });
    const err = await rejects(root.read('secret/nv/wrongpath'), 404, 'v1-style read on v2');
    const body = err.response.body;
    assert.equal(Object.prototype.hasOwnProperty.call(body, 'errors'), false, 'no errors key');
    assert.ok(Array.isArray(body.warnings), 'warnings is an array');
    assert.ok(body.warnings[0].startsWith(INVALID_PATH_WARNING), 'Invalid path warning');
    assert.ok(body.warnings[0].includes("'vault kv get'"), 'read names vault kv get');
});

test('KV v1: mount(), write/read/list/delete, unmount()', async () => {
    assert.equal(await root.mount({ mount_point: 'nv-kv1', type: 'kv',
        options: { version: '1' }, description: 'node-vault kv v1' }), '');
    const mounts = await root.mounts();
    const info = mounts.data['nv-kv1/'];
    assert.ok(info, 'the new mount is listed under data');
    assert.equal(info.type, 'kv');
    assert.deepEqual(info.options, { version: '1' });
    assert.equal(info.description, 'node-vault kv v1');
    assert.equal(mounts.data['secret/'].type, 'kv');
    assert.deepEqual(mounts.data['secret/'].options, { version: '2' });
    // a second mount at the same path is refused
    await rejects(root.mount({ mount_point: 'nv-kv1', type: 'kv' }), 400, 'duplicate mount');

    assert.equal(await root.write('nv-kv1/svc/db', { user: 'db', pw: 'pw-kv1' }), '',
        'kv v1 write answers 204');
    const r = await root.read('nv-kv1/svc/db');
    assertSuccessEnvelope(r, 'kv1 read');
    assert.deepEqual(r.data, { user: 'db', pw: 'pw-kv1' });
    assert.equal(r.lease_duration, 2764800);
    // a second write replaces the whole secret
    await root.write('nv-kv1/svc/db', { pw: 'pw-kv1-b' });
    assert.deepEqual((await root.read('nv-kv1/svc/db')).data, { pw: 'pw-kv1-b' });
    await root.write('nv-kv1/svc/sub/x', { k: 'x' });

    assert.deepEqual((await root.list('nv-kv1/svc')).data.keys, ['db', 'sub/']);
    assert.deepEqual((await root.list('nv-kv1/')).data.keys, ['svc/']);

    assert.equal(await root.delete('nv-kv1/svc/db'), '', 'kv v1 delete answers 204');
    let err = await rejects(root.read('nv-kv1/svc/db'), 404, 'deleted kv1 key');
    assert.deepEqual(err.response.body, { errors: [] });
    await root.delete('nv-kv1/svc/sub/x');
    err = await rejects(root.list('nv-kv1/svc'), 404, 'empty kv1 folder');
    assert.deepEqual(err.response.body, { errors: [] });

    assert.equal(await root.unmount({ mount_point: 'nv-kv1' }), '');
    assert.equal((await root.mounts()).data['nv-kv1/'], undefined, 'unmounted');
});

test('policies: addPolicy(), getPolicy(), policies(), removePolicy()', async () => {
    const rules = 'path "secret/data/nv-pol/*" {\n  capabilities = ["read"]\n}\n';
    assert.equal(await root.addPolicy({ name: 'nv-pol', rules }), '');
    const got = await root.getPolicy({ name: 'nv-pol' });
    assert.equal(got.data.name, 'nv-pol');
    assert.equal(got.data.rules, rules);
    const all = await root.policies();
    assert.ok(all.data.policies.includes('nv-pol'), 'listed');
    assert.ok(all.data.policies.includes('default'), 'default is listed');
    assert.ok(all.data.policies.includes('root'), 'root is listed');
    assert.equal(await root.removePolicy({ name: 'nv-pol' }), '');
    assert.ok(!(await root.policies()).data.policies.includes('nv-pol'), 'removed');
});

test('AppRole: enableAuth, role, role-id, secret-id, approleLogin, then the token', async () => {
    // setup as an operator would
    assert.equal(await root.enableAuth({ mount_point: 'approle', type: 'approle',
        description: 'node-vault approle' }), '');
    const auths = await root.auths();
    assert.equal(auths.data['approle/'].type, 'approle');
    assert.equal(auths.data['token/'].type, 'token');
    await root.addPolicy({
        name: 'nv-app',
        rules: 'path "secret/data/nv-approle/*" { capabilities = ["read"] }\n'
            + 'path "auth/token/create" { capabilities = ["update"] }\n',
    });
    await root.write('secret/data/nv-approle/cfg', { data: { k: 'approle-value' } });
    await root.write('secret/data/nv-other/cfg', { data: { k: 'not-for-approle' } });

    assert.equal(await root.addApproleRole({ role_name: 'nv-web', policies: 'nv-app',
        token_ttl: 600 }), '');
    const role = (await root.getApproleRole({ role_name: 'nv-web' })).data;
    assert.deepEqual(role.token_policies, ['nv-app']);
    assert.equal(role.token_ttl, 600);
    assert.equal(role.bind_secret_id, true);
    assert.ok((await root.approleRoles()).data.keys.includes('nv-web'), 'role listed');

    const roleId = (await root.getApproleRoleId({ role_name: 'nv-web' })).data.role_id;
    assert.equal(typeof roleId, 'string');
    assert.ok(roleId.length > 0, 'role_id is set');
    const gen = (await root.getApproleRoleSecret({ role_name: 'nv-web' })).data;
    assert.equal(typeof gen.secret_id, 'string');
    assert.ok(gen.secret_id.length > 0, 'secret_id is set');
    assert.equal(typeof gen.secret_id_accessor, 'string');
    assert.equal(gen.secret_id_ttl, 0);
    assert.equal(gen.secret_id_num_uses, 0);

    // a wrong secret-id: 400 invalid role or secret ID
    const app = client(undefined);
    const bad = await rejects(app.approleLogin({ role_id: roleId, secret_id: 'wrong' }), 400,
        'wrong secret_id');
    assert.deepEqual(bad.response.body.errors, ['invalid role or secret ID']);
    assert.equal(app.token, undefined, 'a failed login sets no token');

    // login; node-vault keeps the token it got (tokenSource)
    const login = await app.approleLogin({ role_id: roleId, secret_id: gen.secret_id });
    assert.equal(login.data, null);
    const a = login.auth;
    assert.equal(typeof a.client_token, 'string');
    assert.ok(a.client_token.length > 0, 'client_token is set');
    assert.ok(app.token === a.client_token, 'node-vault uses the login token');
    assert.equal(typeof a.accessor, 'string');
    assert.deepEqual(a.policies, ['default', 'nv-app']);
    assert.deepEqual(a.token_policies, ['default', 'nv-app']);
    assert.deepEqual(a.metadata, { role_name: 'nv-web' });
    assert.equal(a.lease_duration, 600);
    assert.equal(a.renewable, true);
    assert.equal(a.token_type, 'service');
    assert.equal(a.orphan, true);
    assert.equal(typeof a.entity_id, 'string');
    const appToken = a.client_token;

    // lookup-self with the AppRole token
    const d = (await app.tokenLookupSelf()).data;
    assert.ok(d.id === appToken, 'lookup-self id is the login token');
    assert.deepEqual(d.policies, ['default', 'nv-app']);
    assert.ok(Number.isInteger(d.ttl), 'ttl is an integer');
    assert.ok(d.ttl > 590 && d.ttl <= 600, `ttl in (590, 600]: ${d.ttl}`);
    assert.equal(d.creation_ttl, 600);
    assert.equal(d.renewable, true);
    assert.equal(d.path, 'auth/approle/login');
    assert.equal(d.type, 'service');
    assert.equal(d.display_name, 'approle');
    assert.deepEqual(d.meta, { role_name: 'nv-web' });
    assert.equal(d.orphan, true);
    assert.equal(d.num_uses, 0);
    assert.equal(d.explicit_max_ttl, 0);
    assert.equal(d.accessor, a.accessor);
    assert.equal(d.entity_id, a.entity_id);
    assert.match(d.expire_time, RFC3339);
    assert.match(d.issue_time, RFC3339);
    assert.ok(Number.isInteger(d.creation_time), 'creation_time is unix seconds');

    // what the policy grants, and what it does not
    const cfg = await app.read('secret/data/nv-approle/cfg');
    assert.deepEqual(cfg.data.data, { k: 'approle-value' });
    let err = await rejects(app.read('secret/data/nv-other/cfg'), 403, 'outside the policy');
    assert.ok(err.response.body.errors[0].includes('permission denied'), '403 message');
    await rejects(app.write('secret/data/nv-approle/cfg', { data: { k: 'x' } }), 403,
        'write with a read-only policy');

    // token create with the AppRole token: a child token
    const creator = client(appToken); // tokenCreate switches the client to the new token
    const child = (await creator.tokenCreate({ policies: ['nv-app'], ttl: '5m' })).auth;
    assert.deepEqual(child.policies, ['default', 'nv-app']);
    assert.equal(child.lease_duration, 300);
    assert.equal(child.renewable, true);
    assert.equal(child.orphan, false);
    assert.ok(child.client_token !== appToken, 'a new token');
    const childClient = client(child.client_token);
    const cd = (await childClient.tokenLookupSelf()).data;
    assert.equal(cd.path, 'auth/token/create');
    assert.ok(cd.ttl > 290 && cd.ttl <= 300, `child ttl in (290, 300]: ${cd.ttl}`);
    // a child may not get a policy its parent lacks
    await rejects(client(appToken).tokenCreate({ policies: ['root'] }), 400,
        'child with root policy');

    // renew-self with an increment
    const renewed = (await app.tokenRenewSelf({ increment: '20m' })).auth;
    assert.ok(renewed.client_token === appToken, 'renew-self returns the same token');
    assert.equal(renewed.lease_duration, 1200);
    assert.equal(renewed.renewable, true);
    assert.deepEqual(renewed.policies, ['default', 'nv-app']);
    const after = (await app.tokenLookupSelf()).data;
    assert.ok(after.ttl > 1190 && after.ttl <= 1200, `ttl after renew: ${after.ttl}`);

    // revoke-self: 204, then the token and its child are gone (403)
    assert.equal(await app.tokenRevokeSelf(), '');
    err = await rejects(app.tokenLookupSelf(), 403, 'lookup-self after revoke-self');
    assert.ok(err.response.body.errors[0].includes('permission denied'), '403 message');
    await rejects(app.read('secret/data/nv-approle/cfg'), 403, 'read after revoke-self');
    await rejects(childClient.tokenLookupSelf(), 403, 'child of a revoked token');
});

test('AppRole: bind_secret_id=false logs in with the role_id alone', async () => {
    await root.enableAuth({ mount_point: 'nv-approle2', type: 'approle' });
    await root.addApproleRole({ mount_point: 'nv-approle2', role_name: 'open',
        bind_secret_id: false, policies: 'default', token_ttl: 60 });
    const roleId = (await root.getApproleRoleId({ mount_point: 'nv-approle2',
        role_name: 'open' })).data.role_id;
    const app = client(undefined);
    const login = await app.approleLogin({ mount_point: 'nv-approle2', role_id: roleId });
    assert.deepEqual(login.auth.policies, ['default']);
    assert.equal(login.auth.lease_duration, 60);
    const d = (await app.tokenLookupSelf()).data;
    assert.equal(d.path, 'auth/nv-approle2/login');
    assert.equal(await root.disableAuth({ mount_point: 'nv-approle2' }), '');
    assert.equal((await root.auths()).data['nv-approle2/'], undefined, 'disabled');
});

test('tokens from the root token: create, lookup, renew, revoke', async () => {
    const creator = client(ROOT_TOKEN);
    const t = (await creator.tokenCreate({ policies: ['default'], ttl: '1h', num_uses: 0,
        meta: { app: 'nv' }, display_name: 'nv' })).auth;
    assert.deepEqual(t.policies, ['default']);
    assert.equal(t.lease_duration, 3600);
    assert.equal(t.renewable, true);
    assert.equal(t.orphan, false);
    assert.deepEqual(t.metadata, { app: 'nv' });
    assert.ok(creator.token === t.client_token, 'node-vault switched to the created token');

    const byToken = (await root.tokenLookup({ token: t.client_token })).data;
    assert.equal(byToken.display_name, 'token-nv');
    assert.deepEqual(byToken.meta, { app: 'nv' });
    assert.equal(byToken.path, 'auth/token/create');
    const byAccessor = (await root.tokenLookupAccessor({ accessor: t.accessor })).data;
    assert.equal(byAccessor.id, '', 'lookup-accessor hides the id');
    assert.equal(byAccessor.accessor, t.accessor);

    // tokenRenew switches the client it is called on to the renewed token (tokenSource)
    const renewer = client(ROOT_TOKEN);
    const ren = (await renewer.tokenRenew({ token: t.client_token, increment: '2h' })).auth;
    assert.equal(ren.lease_duration, 7200);
    assert.ok(ren.client_token === t.client_token, 'renew answers with the renewed token');

    const orphan = (await client(ROOT_TOKEN).tokenCreateOrphan({ policies: ['default'] })).auth;
    assert.equal(orphan.orphan, true);
    assert.equal(orphan.lease_duration, 2764800, 'default token TTL is 768h');

    assert.equal(await root.tokenRevoke({ token: t.client_token }), '');
    await rejects(client(t.client_token).tokenLookupSelf(), 403, 'revoked token');
    assert.equal(await root.tokenRevokeAccessor({ accessor: orphan.accessor }), '');
    await rejects(client(orphan.client_token).tokenLookupSelf(), 403, 'revoked by accessor');

    // a num_uses=1 token works exactly once
    const once = (await client(ROOT_TOKEN).tokenCreate({ policies: ['default'], num_uses: 1 }))
        .auth;
    const onceClient = client(once.client_token);
    assert.equal((await onceClient.tokenLookupSelf()).data.num_uses, 0,
        'the lookup itself used the last use');
    await rejects(onceClient.tokenLookupSelf(), 403, 'second use of a num_uses=1 token');
});

// ---------------------------------------------------------------------------
// Differences from Vault once found with node-vault, now fixed in the dev server; each
// assertion is what Vault answers (sources in the comments). A new difference gets a
// test named "[DEV-SERVER BUG] …" that fails until the server is fixed.

test('tokenLookup() of a revoked token: 403 {"errors":["bad token"]}',
    async () => {
        // vault/token_store.go handleLookup: when the token is not found it returns
        // logical.ErrorResponse("bad token"), logical.ErrPermissionDenied, which
        // RespondErrorCommon turns into 403 with the response's error text.
        const t = (await client(ROOT_TOKEN).tokenCreate({ policies: ['default'] })).auth;
        await root.tokenRevoke({ token: t.client_token });
        const err = await rejects(root.tokenLookup({ token: t.client_token }), 403,
            'auth/token/lookup of a revoked token');
        assert.deepEqual(err.response.body.errors, ['bad token']);
    });

test('tokenLookupSelf() of the root token has no renewable, issue_time '
    + 'or period', async () => {
    // vault/token_store.go handleLookup sets "renewable" and "issue_time" only from the
    // token's lease, and the root token has none; "period" only when it is non-zero.
    // Captured lookup-self bodies of dev-server root tokens (Vault 0.x to 1.16) carry
    // exactly: accessor creation_time creation_ttl display_name entity_id expire_time
    // explicit_max_ttl id meta num_uses orphan path policies ttl type.
    const d = (await root.tokenLookupSelf()).data;
    for (const k of ['renewable', 'issue_time', 'period']) {
        assert.equal(Object.prototype.hasOwnProperty.call(d, k), false,
            `root lookup-self has no "${k}" key`);
    }
});

test('tokenLookupSelf() has no "period" key for a non-periodic token',
    async () => {
        // vault/token_store.go handleLookup: if out.Period != 0 { resp.Data["period"] = … }
        const t = (await client(ROOT_TOKEN).tokenCreate({ policies: ['default'], ttl: '10m' }))
            .auth;
        const d = (await client(t.client_token).tokenLookupSelf()).data;
        assert.equal(d.renewable, true);
        assert.match(d.issue_time, RFC3339);
        assert.equal(Object.prototype.hasOwnProperty.call(d, 'period'), false,
            'no "period" key when the token has no period');
        await root.tokenRevoke({ token: t.client_token });
    });

test('tokenLookupSelf() after tokenRenewSelf() shows last_renewal_time',
    async () => {
        // vault/token_store.go handleLookup: once the lease was renewed,
        //   resp.Data["last_renewal_time"] = LastRenewalTime.Unix()
        //   resp.Data["last_renewal"] = LastRenewalTime   (RFC 3339)
        const t = (await client(ROOT_TOKEN).tokenCreate({ policies: ['default'], ttl: '10m' }))
            .auth;
        const c = client(t.client_token);
        const before = (await c.tokenLookupSelf()).data;
        assert.equal(Object.prototype.hasOwnProperty.call(before, 'last_renewal_time'), false,
            'no last_renewal_time before a renewal');
        await c.tokenRenewSelf({ increment: '20m' });
        const d = (await c.tokenLookupSelf()).data;
        assert.ok(Number.isInteger(d.last_renewal_time), 'last_renewal_time is unix seconds');
        assert.ok(Math.abs(d.last_renewal_time - Date.now() / 1000) < 60,
            'last_renewal_time is now');
        assert.match(d.last_renewal, RFC3339);
        await root.tokenRevoke({ token: t.client_token });
    });

test('tokenRenew() of a revoked token: 400 {"errors":["token not found"]}',
    async () => {
        // vault/token_store.go handleRenew: te == nil ->
        //   logical.ErrorResponse("token not found"), logical.ErrInvalidRequest
        const t = (await client(ROOT_TOKEN).tokenCreate({ policies: ['default'] })).auth;
        await root.tokenRevoke({ token: t.client_token });
        const err = await rejects(client(ROOT_TOKEN).tokenRenew({ token: t.client_token }), 400,
            'auth/token/renew of a revoked token');
        assert.deepEqual(err.response.body.errors, ['token not found']);
    });

test('tokenRenewSelf() with the root token: 400, it has no lease',
    async () => {
        // vault/expiration.go RenewToken: the root token has no lease entry (which is also
        // why its lookup-self has no issue_time), so: le == nil ->
        //   logical.ErrorResponse("invalid lease ID"), logical.ErrInvalidRequest
        // (older releases: leaseEntry.renewable() "lease not found or lease is not renewable")
        const err = await rejects(client(ROOT_TOKEN).tokenRenewSelf(), 400,
            'renew-self of the root token');
        assert.match(err.response.body.errors[0],
            /^(invalid lease ID|lease not found or lease is not renewable)$/);
    });

// Last: sealing stops every other request until unseal.
test('sealed: health() reports it, logical requests get 503 Vault is sealed', async () => {
    const post = (name) => fetch(`${ADDR}/_control/${name}`, { method: 'POST' });
    assert.equal((await post('seal')).status, 204);
    try {
        // node-vault hands back sys/health's body whatever the status (503 here)
        const h = await root.health();
        assert.equal(h.sealed, true);
        assert.equal(h.initialized, true);
        assert.equal(h.cluster_name, undefined, 'no cluster_name while sealed');
        const s = await root.status();
        assert.equal(s.sealed, true);
        const err = await rejects(root.read('secret/data/nv/rw'), 503, 'read while sealed');
        assert.deepEqual(err.response.body.errors, ['Vault is sealed']);
    } finally {
        assert.equal((await post('unseal')).status, 204);
    }
    assert.equal((await root.health()).sealed, false);
    assert.deepEqual((await root.read('secret/data/nv/rw')).data.data,
        { user: 'svc-node', pw: 'pw-one' });
});
