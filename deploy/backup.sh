#!/usr/bin/env bash
# A consistent backup of the bot's database while it runs; keeps the last 14. Cron, daily:
#   15 3 * * * /opt/adresat/deploy/backup.sh /opt/adresat/.env /var/backups/adresat
set -euo pipefail
env_file=${1:?usage: backup.sh ENV_FILE BACKUP_DIR}
dest=${2:?usage: backup.sh ENV_FILE BACKUP_DIR}
mkdir -p "$dest"
url=$(grep -E '^DATABASE_URL=' "$env_file" | tail -1 | cut -d= -f2-)
url=${url:-sqlite+aiosqlite:///./data/adresat.db}
stamp=$(date +%Y%m%d-%H%M%S)
case "$url" in
    sqlite*)
        # The online backup API copies a consistent snapshot even while the bot writes (WAL mode);
        # copying the file with cp could catch it half-written.
        db=${url#*:///}
        cd "$(dirname "$env_file")"
        python3 -c 'import sqlite3, sys; src = sqlite3.connect(sys.argv[1]); dst = sqlite3.connect(sys.argv[2]); src.backup(dst); dst.close(); src.close()' \
            "$db" "$dest/adresat-$stamp.db"
        gzip "$dest/adresat-$stamp.db" ;;
    postgres*)
        # pg_dump takes a consistent snapshot without stopping the bot; custom format restores selectively.
        pg_url="postgresql://${url#*://}"
        pg_dump --format=custom --no-owner --file="$dest/adresat-$stamp.dump" "$pg_url" ;;
    *) echo "unknown DATABASE_URL scheme" >&2; exit 1 ;;
esac
ls -1t "$dest"/adresat-* | tail -n +15 | xargs -r rm --
