#!/usr/bin/env bash
# Makes a private CA and the certificates of a YAKt cluster with openssl:
#   scripts/make-certs.sh <out-dir> [nodes (default 3)] [extra SAN, e.g. DNS:yakt.example.com ...]
# Writes ca.crt/ca.key; for each node N: node-N.crt/node-N.key (CN=yakt-node-N, SANs IP:127.0.0.1,
# DNS:localhost and the extras), used for the REST API (--tls-cert/--tls-key) and the peer port;
# and client.crt/client.key (CN=yakt-client) for REST clients when the API requires mTLS
# (--tls-client-ca ca.crt). Keys are EC P-256 and readable by their owner only. Keep ca.key
# offline once the certificates are made: whoever holds it can mint a node.
set -euo pipefail
out=${1:?usage: make-certs.sh <out-dir> [nodes] [extra-san ...]}
nodes=${2:-3}
shift $(( $# >= 2 ? 2 : 1 ))
days=${YAKT_CERT_DAYS:-825}
[[ "$nodes" =~ ^[1-9][0-9]?$ ]] || { echo "make-certs.sh: nodes must be 1..99, got $nodes" >&2; exit 2; }
command -v openssl >/dev/null || { echo "make-certs.sh: openssl is required (apt-get install openssl)" >&2; exit 2; }
umask 077
mkdir -p "$out"
cd "$out"
sans="IP:127.0.0.1,IP:::1,DNS:localhost"
for extra in "$@"; do sans="$sans,$extra"; done

key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }

if [[ ! -f ca.key ]]; then
  key ca.key
  openssl req -x509 -new -key ca.key -out ca.crt -days "$days" -subj "/CN=yakt-ca" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
fi

# sign <name> <CN> <extendedKeyUsage> [SAN]
sign() {
  key "$1.key"
  openssl req -new -key "$1.key" -out "$1.csr" -subj "/CN=$2" 2>/dev/null
  {
    echo "basicConstraints=CA:FALSE"
    echo "keyUsage=critical,digitalSignature,keyEncipherment"
    echo "extendedKeyUsage=$3"
    [[ -n "${4:-}" ]] && echo "subjectAltName=$4"
  } > "$1.ext"
  openssl x509 -req -in "$1.csr" -CA ca.crt -CAkey ca.key -CAcreateserial -out "$1.crt" -days "$days" -extfile "$1.ext" 2>/dev/null
  rm -f "$1.csr" "$1.ext"
}

for ((n = 1; n <= nodes; n++)); do
  sign "node-$n" "yakt-node-$n" "serverAuth,clientAuth" "$sans"
done
sign client yakt-client clientAuth
chmod 600 ./*.key
echo "certificates for $nodes node(s) and one client in $out (CA: $out/ca.crt)"
