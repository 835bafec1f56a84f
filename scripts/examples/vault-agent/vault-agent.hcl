# /etc/vault-agent/vault-agent.hcl — Vault Agent on a host, serving vaultshim
# over a unix socket (see README.md beside this file).
#
# It logs in with AppRole, keeps its token in memory, and adds it to every
# request that arrives on the socket without one (api_proxy). vaultshim's
# config names the socket and no token.

vault {
  address = "https://vault.example.internal:8200"
  ca_cert = "/etc/vault-agent/vault-ca.pem"
}

auto_auth {
  method "approle" {
    mount_path = "auth/approle"
    config = {
      role_id_file_path   = "/etc/vault-agent/role-id"
      secret_id_file_path = "/etc/vault-agent/secret-id"
      # keep it: the agent logs in again after a restart with the same file
      remove_secret_id_file_after_reading = false
    }
  }

  # Optional: a copy of the token on disk, for tools that need one. vaultshim
  # does not: leave it out and the token never touches the disk.
  # sink "file" {
  #   config = {
  #     path = "/run/vault-agent/token"
  #     mode = 0600
  #   }
  # }
}

# Leased responses (dynamic secrets, tokens created through the agent) are
# cached and renewed here; plain KV reads always go to Vault (README.md,
# "Vault load").
cache {}

api_proxy {
  use_auto_auth_token = true
}

# The socket is the only way in: no TCP listener. Owner vault-agent, group
# myapp (the application's group), mode 0660: the application's processes
# can ask, other users cannot. Its directory is systemd's RuntimeDirectory
# (vault-agent.service).
listener "unix" {
  address      = "/run/vault-agent/agent.sock"
  tls_disable  = true
  socket_mode  = "0660"
  socket_user  = "vault-agent"
  socket_group = "myapp"
}
