/** [major, minor, patch] of "v20.19.0" / "20.19.0" / "20.19", or undefined. */
export declare function parseVersion(text: string): [number, number, number] | undefined;
/** Whether a version string satisfies an engines range such as "^20.19.0 || >=22.12.0"; throws on an unreadable one. */
export declare function satisfies(versionText: string, range: string): boolean;
