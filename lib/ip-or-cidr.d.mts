export declare const isIp: (value: string) => boolean
export declare function isIpOrCidr(entry: string): boolean
