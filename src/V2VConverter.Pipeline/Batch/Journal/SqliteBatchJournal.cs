using Microsoft.Data.Sqlite;

namespace V2VConverter.Pipeline.Batch.Journal;

/// <summary>
/// The batch journal in one SQLite file next to the plan (<see cref="BatchPaths.Journal"/>), in WAL mode so that a
/// reader (<c>v2v status</c>) can look while a run writes. Every call is committed when it returns, so a <c>kill -9</c>
/// loses nothing; every call is also synced (<c>synchronous=FULL</c>), so a power loss loses nothing, except a copy's
/// progress point (<see cref="BatchVmState.Copying"/> at an offset above 0): those are synced with the next other
/// write (about 0.1 ms each instead of a few ms of fsync; a resume after a power loss restarts from an earlier point).
/// One connection under a lock serves every thread. See <see cref="JournalSchema"/> for the layout.
/// </summary>
public sealed partial class SqliteBatchJournal : IBatchJournal
{
    // SQLite result codes (sqlite3.h): SQLITE_CORRUPT, SQLITE_NOTADB.
    private const int SqliteCorrupt = 11;
    private const int SqliteNotADatabase = 26;

    private readonly Lock _gate = new();
    private readonly SqliteConnection _connection;
    private readonly TimeProvider _clock;
    private readonly bool _readOnly;
    private bool _disposed;
    private bool _fullSync = true;
    private SqliteCommand? _record;

    private SqliteBatchJournal(string path, SqliteConnection connection, TimeProvider clock, bool readOnly)
    {
        Location = path;
        _connection = connection;
        _clock = clock;
        _readOnly = readOnly;
    }

    /// <inheritdoc/>
    public string Location { get; }

    /// <summary>Opens the journal at <paramref name="path"/> for a run, creating it when it does not exist.</summary>
    /// <param name="path">The journal file (<see cref="BatchPaths.Journal"/>).</param>
    /// <param name="clock">The time of the entries (tests give a fixed one); the system clock by default.</param>
    /// <exception cref="InvalidDataException">The file is not a journal, or one written by a newer version.</exception>
    public static SqliteBatchJournal Open(string path, TimeProvider? clock = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        path = Path.GetFullPath(path);
        return OpenCore(path, SqliteOpenMode.ReadWriteCreate, clock ?? TimeProvider.System);
    }

    /// <summary>Opens an existing journal to read it (<c>v2v status</c>), while a run may be writing it.</summary>
    /// <exception cref="FileNotFoundException">There is no journal at <paramref name="path"/>.</exception>
    /// <exception cref="InvalidDataException">The file is not a journal, or one written by a newer version.</exception>
    public static SqliteBatchJournal OpenReadOnly(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        path = Path.GetFullPath(path);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"{path}: no such journal", path);
        }

        return OpenCore(path, SqliteOpenMode.ReadOnly, TimeProvider.System);
    }

    public void Dispose()
    {
        lock (_gate)
        {
            if (!_disposed)
            {
                _disposed = true;
                _record?.Dispose();
                _connection.Dispose();
            }
        }
    }

    private static SqliteBatchJournal OpenCore(string path, SqliteOpenMode mode, TimeProvider clock)
    {
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder
        {
            DataSource = path,
            Mode = mode,
            Pooling = false, // Dispose closes the file: a finished run leaves no -wal behind, a test can delete its folder
            DefaultTimeout = JournalSchema.BusyTimeoutMilliseconds / 1000,
        }.ToString());
        try
        {
            connection.Open();
            Execute(connection, $"PRAGMA busy_timeout = {JournalSchema.BusyTimeoutMilliseconds}");
            var readOnly = mode == SqliteOpenMode.ReadOnly;
            Prepare(connection, path, readOnly);
            return new SqliteBatchJournal(path, connection, clock, readOnly);
        }
        catch (SqliteException ex) when (ex.SqliteErrorCode is SqliteNotADatabase or SqliteCorrupt)
        {
            connection.Dispose();
            throw new InvalidDataException($"{path}: not a batch journal (SQLite: {ex.Message})", ex);
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    /// <summary>Checks the schema version (creating the schema in an empty file) and sets WAL and full sync.</summary>
    private static void Prepare(SqliteConnection connection, string path, bool readOnly)
    {
        var version = Convert.ToInt64(Scalar(connection, "PRAGMA user_version"), System.Globalization.CultureInfo.InvariantCulture);
        var tables = Convert.ToInt64(Scalar(connection, "SELECT count(*) FROM sqlite_master"), System.Globalization.CultureInfo.InvariantCulture);
        if (version > JournalSchema.Version)
        {
            throw new InvalidDataException($"{path}: journal schema version {version} is newer than this v2v reads ({JournalSchema.Version}); use a newer v2v");
        }

        if (version == 0 && tables > 0)
        {
            throw new InvalidDataException($"{path}: not a batch journal (an SQLite database without a journal schema version)");
        }

        if (version == JournalSchema.Version
            && Convert.ToInt64(Scalar(connection, JournalSchema.CountTables), System.Globalization.CultureInfo.InvariantCulture) != JournalSchema.TableCount)
        {
            throw new InvalidDataException($"{path}: not a batch journal (schema version {version} without its tables)");
        }

        if (readOnly)
        {
            if (version == 0)
            {
                throw new InvalidDataException($"{path}: not a batch journal (an empty file)");
            }

            return;
        }

        var mode = Scalar(connection, "PRAGMA journal_mode = WAL") as string;
        if (!string.Equals(mode, "wal", StringComparison.OrdinalIgnoreCase))
        {
            throw new NotSupportedException($"{path}: SQLite refused WAL mode (journal_mode is {mode}); put the plan on a local file system");
        }

        Execute(connection, "PRAGMA synchronous = FULL");
        if (version == 0)
        {
            using var transaction = connection.BeginTransaction();
            Execute(connection, JournalSchema.Create, transaction);
            Execute(connection, $"PRAGMA user_version = {JournalSchema.Version}", transaction);
            transaction.Commit();
        }
    }

    private static void Execute(SqliteConnection connection, string sql, SqliteTransaction? transaction = null)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.Transaction = transaction;
        command.ExecuteNonQuery();
    }

    private static object? Scalar(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return command.ExecuteScalar();
    }
}
