/** net-snmp ships no type declarations; src/snmp/agentx.ts types the part it uses. */
declare module "net-snmp";
